package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
)

// errHelp is returned when -h was asked for; usage has been printed.
var errHelp = flag.ErrHelp

// Global is the configuration shared by all subcommands.
type Global struct {
	Data string // --data, ANLIEGEN_DATA: the data directory
	// DataGiven is true when --data or ANLIEGEN_DATA named the directory;
	// the demo uses a fresh temporary one otherwise.
	DataGiven bool
	LogLevel  string // --log-level
	LogFormat string // --log-format: text or json
	Env       Env
	Logger    *slog.Logger
}

// parseGlobal reads the global flags up to the subcommand.
func parseGlobal(args []string, env Env) (*Global, []string, error) {
	g := &Global{Env: env}
	fs := newFlagSet("anliegen", env)
	fs.StringVar(&g.Data, "data", "./data", "data `directory` (SQLite file, search index)")
	fs.StringVar(&g.LogLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.StringVar(&g.LogFormat, "log-format", "text", "log format: text or json")
	if err := parseFlags(fs, args, env); err != nil {
		return nil, nil, err
	}
	fs.Visit(func(f *flag.Flag) { g.DataGiven = g.DataGiven || f.Name == "data" })
	g.DataGiven = g.DataGiven || env.Getenv("ANLIEGEN_DATA") != ""
	var level slog.Level
	if err := level.UnmarshalText([]byte(g.LogLevel)); err != nil {
		return nil, nil, fmt.Errorf("--log-level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch g.LogFormat {
	case "text":
		g.Logger = slog.New(slog.NewTextHandler(env.Stderr, opts))
	case "json":
		g.Logger = slog.New(slog.NewJSONHandler(env.Stderr, opts))
	default:
		return nil, nil, fmt.Errorf("--log-format: must be text or json, not %q", g.LogFormat)
	}
	if g.Data == "" {
		return nil, nil, errors.New("--data must not be empty")
	}
	abs, err := filepath.Abs(g.Data)
	if err != nil {
		return nil, nil, fmt.Errorf("--data: %w", err)
	}
	g.Data = abs
	return g, fs.Args(), nil
}

func newFlagSet(name string, env Env) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	return fs
}

// parseFlags parses args, then fills every flag not given on the command
// line from its environment twin: --metrics-token-file reads
// ANLIEGEN_METRICS_TOKEN_FILE. Flag beats environment beats default.
func parseFlags(fs *flag.FlagSet, args []string, env Env) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if set[f.Name] || err != nil {
			return
		}
		key := "ANLIEGEN_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v := env.Getenv(key); v != "" {
			if e := fs.Set(f.Name, v); e != nil {
				err = fmt.Errorf("%s: %w", key, e)
			}
		}
	})
	return err
}

// ensureDataDir creates the data directory with private permissions:
// it holds citizens' messages.
func (g *Global) ensureDataDir() error {
	if err := os.MkdirAll(g.Data, 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	return nil
}

// readSecretFile reads a secret from a file, trimming one trailing newline.
func readSecretFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read secret: %w", err)
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

// readSecret reads a secret from a file, or a line from stdin when path
// is "-" (so it never sits in a file or the process list).
func readSecret(env Env, path string) (string, error) {
	if path != "-" {
		return readSecretFile(path)
	}
	v, err := readLine(env.Stdin)
	if err != nil {
		return "", fmt.Errorf("read secret from stdin: %w", err)
	}
	return v, nil
}

// readLine reads the first line of r (a password on stdin).
func readLine(r io.Reader) (string, error) {
	var b strings.Builder
	buf := make([]byte, 1)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			if buf[0] == '\n' {
				break
			}
			b.WriteByte(buf[0])
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", err
		}
	}
	return strings.TrimRight(b.String(), "\r"), nil
}

func usageErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errUsage, fmt.Sprintf(format, args...))
}
