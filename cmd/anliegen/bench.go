package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/anliegen/anliegen/cmd/anliegen/bench"
)

// runBench runs the built-in benchmark in a scratch directory and prints
// the results; with --out it also writes them into a Markdown file's
// "## anliegen bench" section.
//
// Its flags have no environment twins, unlike every other command's: the
// twin of --data would be ANLIEGEN_DATA, the real data directory, and the
// benchmark must never write there. The global --data is ignored for the
// same reason.
func runBench(ctx context.Context, g *Global, args []string) error {
	fs := newFlagSet("bench", g.Env)
	messages := fs.Int("messages", 100000, "corpus `size` in messages (1000000 for the full run)")
	data := fs.String("data", "", "scratch `directory`, empty or new; default a temporary directory removed afterwards")
	out := fs.String("out", "", "Markdown `file` whose \"## anliegen bench\" section is replaced with the results")
	asJSON := fs.Bool("json", false, "print one JSON object on stdout instead of the table")
	wsClients := fs.Int("ws-clients", 500, "websocket `clients` of the fan-out")
	wsSeconds := fs.Float64("ws-seconds", 10, "`seconds` the fan-out runs at 20 events/s")
	seed := fs.Int64("seed", 1, "corpus `seed`")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErr("unexpected argument %q", fs.Arg(0))
	}
	if *messages < 1000 || *wsClients < 1 || *wsSeconds <= 0 {
		return usageErr("--messages must be at least 1000, --ws-clients and --ws-seconds positive")
	}
	dir := *data
	if dir == "" {
		tmp, err := os.MkdirTemp("", "anliegen-bench-")
		if err != nil {
			return fmt.Errorf("scratch directory: %w", err)
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	r, err := bench.Run(ctx, bench.Options{Dir: dir, Messages: *messages, WSClients: *wsClients,
		WSSeconds: *wsSeconds, Seed: *seed, Progress: g.Env.Stderr, Live: isTerminal(g.Env.Stderr),
		Logger: g.Logger})
	if err != nil {
		return err
	}
	if *out != "" {
		cmdline := "anliegen bench " + strings.Join(args, " ")
		if err := bench.WriteSection(*out, r.Markdown(strings.TrimSpace(cmdline))); err != nil {
			return err
		}
	}
	if *asJSON {
		enc := json.NewEncoder(g.Env.Stdout)
		return enc.Encode(r)
	}
	return r.WriteTable(g.Env.Stdout)
}

// isTerminal reports whether w is a character device (a terminal), where
// a rewritten progress line helps rather than litters.
func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
