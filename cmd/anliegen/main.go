// Command anliegen runs the Anliegen citizen-inquiry inbox and its
// maintenance tools. Global flags come before the subcommand:
//
//	anliegen [--data DIR] [--log-level L] SUBCOMMAND [flags] [args]
//
// Every flag has an environment twin (ANLIEGEN_DATA for --data); a flag beats
// the environment, which beats the default.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := Main(ctx, os.Args[1:], Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv})
	stop()
	os.Exit(code)
}

// Env is the outside world of one run, so tests can run Main in-process.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
}

// errUsage marks an error the user made on the command line: exit code 2.
var errUsage = errors.New("usage")

// command is one subcommand.
type command struct {
	name  string
	short string
	run   func(ctx context.Context, g *Global, args []string) error
}

func commands() []command {
	return []command{
		{"serve", "run the server (inbox, API, connectors)", runServe},
		{"demo", "run a demo with sample data and a simulated Mastodon instance", runDemo},
		{"import", "import history from a JSON Lines file", runImport},
		{"search", "search tickets", runSearch},
		{"status", "show counts, index lag and schema version", runStatus},
		{"reindex", "rebuild the search index from the store", runReindex},
		{"backup", "write a consistent copy of the store to a file", runBackup},
		{"user", "manage staff accounts (user add)", runUser},
		{"channel", "manage channels (channel add, channel list)", runChannel},
		{"bench", "measure throughput and latency against the raw engines", runBench},
	}
}

// Main runs the command line args and returns the exit code.
func Main(ctx context.Context, args []string, env Env) int {
	g, rest, err := parseGlobal(args, env)
	if err != nil {
		if errors.Is(err, errHelp) {
			printUsage(env.Stdout)
			return 0
		}
		fmt.Fprintf(env.Stderr, "anliegen: %v\n", err)
		printUsage(env.Stderr)
		return 2
	}
	if len(rest) == 0 {
		printUsage(env.Stderr)
		return 2
	}
	for _, c := range commands() {
		if c.name != rest[0] {
			continue
		}
		err := c.run(ctx, g, rest[1:])
		switch {
		case err == nil:
			return 0
		case errors.Is(err, errHelp):
			return 0
		case errors.Is(err, errUsage):
			fmt.Fprintf(env.Stderr, "anliegen %s: %v\n", c.name, err)
			return 2
		default:
			fmt.Fprintf(env.Stderr, "anliegen %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(env.Stderr, "anliegen: unknown command %q\n", rest[0])
	printUsage(env.Stderr)
	return 2
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: anliegen [--data DIR] [--log-level debug|info|warn|error] [--log-format text|json] COMMAND [flags]")
	fmt.Fprintln(w, "\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.short)
	}
	fmt.Fprintln(w, "\nRun 'anliegen COMMAND -h' for a command's flags. Every flag has an environment twin: --data is ANLIEGEN_DATA.")
}
