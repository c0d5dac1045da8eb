package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/anliegen/anliegen/storage"
)

// importBatch is how many lines go into one transaction: large enough to
// amortize the commit, small enough that progress moves.
const importBatch = 1000

// runImport imports history in the JSON Lines schema of the shared inquiry
// data. Bad lines are reported with their line number and skipped; importing
// the same file twice adds nothing (dedup by channel and external id).
func runImport(ctx context.Context, g *Global, args []string) error {
	fs := newFlagSet("import", g.Env)
	quiet := fs.Bool("quiet", false, "no progress line")
	if err := parseFlags(fs, args, g.Env); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErr("expected one FILE.jsonl (or - for stdin)")
	}
	var in io.Reader = g.Env.Stdin
	if name := fs.Arg(0); name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return fmt.Errorf("open input: %w", err)
		}
		defer f.Close()
		in = f
	}
	db, err := g.openStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()

	prog := newProgress(g.Env.Stderr, *quiet)
	var (
		batch          []storage.HistoryRecord
		total          storage.ImportResult
		lines, badLine int
	)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		res, err := db.ImportHistory(ctx, batch)
		if err != nil {
			return fmt.Errorf("import batch ending at line %d: %w", lines, err)
		}
		total.Imported += res.Imported
		total.Duplicates += res.Duplicates
		total.Skipped += res.Skipped
		batch = batch[:0]
		prog.update("%d lines, %d tickets new, %d already present, %d bad", lines, total.Imported, total.Duplicates, badLine+total.Skipped)
		return nil
	}
	start := time.Now()
	err = storage.ReadHistory(in, func(lineNo int, rec storage.HistoryRecord, err error) error {
		lines = lineNo
		if err != nil {
			badLine++
			prog.clear()
			fmt.Fprintf(g.Env.Stderr, "line %d: %v (skipped)\n", lineNo, err)
			return nil
		}
		batch = append(batch, rec)
		if len(batch) >= importBatch {
			return flush()
		}
		return ctx.Err()
	})
	if err == nil {
		err = flush()
	}
	prog.clear()
	if err != nil {
		return err
	}
	fmt.Fprintf(g.Env.Stdout, "imported %d lines in %s: %d new tickets, %d already present, %d bad lines skipped\n",
		lines, time.Since(start).Round(time.Millisecond), total.Imported, total.Duplicates, badLine+total.Skipped)
	return nil
}

// progress rewrites one status line on a terminal and stays silent
// elsewhere, so logs and pipes get no carriage-return noise.
type progress struct {
	w    io.Writer
	on   bool
	last time.Time
}

func newProgress(w io.Writer, quiet bool) *progress {
	p := &progress{w: w}
	if f, ok := w.(*os.File); ok && !quiet {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.on = true
		}
	}
	return p
}

func (p *progress) update(format string, args ...any) {
	if !p.on || time.Since(p.last) < 100*time.Millisecond {
		return
	}
	p.last = time.Now()
	fmt.Fprintf(p.w, "\r\033[K"+format, args...)
}

func (p *progress) clear() {
	if p.on {
		fmt.Fprint(p.w, "\r\033[K")
	}
}
