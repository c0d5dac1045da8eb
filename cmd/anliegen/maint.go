package main

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/anliegen/anliegen"
	"github.com/anliegen/anliegen/storage"
	"github.com/anliegen/anliegen/storage/search"
)

// withIndex runs fn against the search index: through the running server's
// control socket when one serves this data directory (it holds the index),
// else by opening the index here and catching it up with the store first,
// so that a search right after an import finds what was imported.
func withIndex(ctx context.Context, g *Global, fn func(idx indexControl) error) error {
	if c := dialControl(g.Data); c != nil {
		return fn(remoteIndex{c})
	}
	db, err := g.openStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	idx, err := search.Open(ctx, filepath.Join(g.Data, "index"), g.Logger, search.Options{Source: db})
	if err != nil {
		return fmt.Errorf("open search index: %w", err)
	}
	defer idx.Close()
	if err := catchUp(ctx, idx, db); err != nil {
		return fmt.Errorf("update search index: %w", err)
	}
	return fn(indexAdmin{idx, db})
}

// remoteIndex is indexControl over the control socket.
type remoteIndex struct{ c *controlClient }

func (r remoteIndex) Search(ctx context.Context, q anliegen.SearchQuery) (anliegen.SearchResult, error) {
	var res anliegen.SearchResult
	path := fmt.Sprintf("/search?q=%s&limit=%d", url.QueryEscape(q.Q), q.Limit)
	if len(q.Departments) == 1 {
		path += "&department=" + url.QueryEscape(q.Departments[0])
	}
	err := r.c.do(ctx, "GET", path, &res)
	return res, err
}

func (r remoteIndex) Similar(context.Context, string, anliegen.Scope, int64, int) ([]anliegen.SimilarTicket, error) {
	return nil, anliegen.Errorf(anliegen.EBadRequest, "similar is not available over the control socket")
}

func (r remoteIndex) DocCount() (uint64, error) {
	st, err := r.status(context.Background())
	return st.Indexed, err
}

func (r remoteIndex) IndexLag(ctx context.Context) (int64, error) {
	st, err := r.status(ctx)
	return st.IndexLag, err
}

func (r remoteIndex) status(ctx context.Context) (indexStatus, error) {
	var st indexStatus
	err := r.c.do(ctx, "GET", "/index", &st)
	return st, err
}

func (r remoteIndex) Reindex(ctx context.Context) error {
	var ok map[string]bool
	return r.c.do(ctx, "POST", "/reindex", &ok)
}

func runSearch(ctx context.Context, g *Global, args []string) error {
	fs := newFlagSet("search", g.Env)
	asJSON := fs.Bool("json", false, "one JSON object per hit and line")
	limit := fs.Int("limit", 10, "number of hits")
	dept := fs.String("department", "", "only tickets of this department")
	if err := parseFlags(fs, args, g.Env); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usageErr("expected a QUERY")
	}
	if *limit < 1 || *limit > 1000 {
		return usageErr("--limit must be 1..1000")
	}
	q := anliegen.SearchQuery{Q: joinArgs(fs.Args()), Scope: anliegen.ScopeAll, Limit: *limit}
	if *dept != "" {
		q.Departments = []string{*dept}
	}
	return withIndex(ctx, g, func(idx indexControl) error {
		res, err := idx.Search(ctx, q)
		if err != nil {
			return err
		}
		if *asJSON {
			enc := json.NewEncoder(g.Env.Stdout)
			for _, h := range res.Hits {
				if err := enc.Encode(h); err != nil {
					return err
				}
			}
			return nil
		}
		fmt.Fprintf(g.Env.Stdout, "%d hits\n", res.Total)
		tw := tabwriter.NewWriter(g.Env.Stdout, 2, 4, 2, ' ', 0)
		for _, h := range res.Hits {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%.2f\t%s\n", h.Number, h.Department, h.Platform, h.Score, plainSnippet(h.Snippet))
		}
		return tw.Flush()
	})
}

func runReindex(ctx context.Context, g *Global, args []string) error {
	fs := newFlagSet("reindex", g.Env)
	if err := parseFlags(fs, args, g.Env); err != nil {
		return err
	}
	return withIndex(ctx, g, func(idx indexControl) error {
		if err := idx.Reindex(ctx); err != nil {
			return err
		}
		n, err := idx.DocCount()
		if err != nil {
			return err
		}
		fmt.Fprintf(g.Env.Stdout, "reindexed: %d documents\n", n)
		return nil
	})
}

func runBackup(ctx context.Context, g *Global, args []string) error {
	fs := newFlagSet("backup", g.Env)
	if err := parseFlags(fs, args, g.Env); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErr("expected the backup FILE")
	}
	db, err := g.openStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Backup(ctx, fs.Arg(0)); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	fmt.Fprintf(g.Env.Stdout, "backup written to %s; restore by stopping the server and copying it to %s\n",
		fs.Arg(0), filepath.Join(g.Data, "anliegen.db"))
	return nil
}

// statusReport is the JSON of `anliegen status --json`.
type statusReport struct {
	storage.Stats
	Indexed  uint64 `json:"indexed"`
	IndexLag int64  `json:"index_lag"`
	DataDir  string `json:"data_dir"`
	DataSize int64  `json:"data_bytes"`
}

func runStatus(ctx context.Context, g *Global, args []string) error {
	fs := newFlagSet("status", g.Env)
	asJSON := fs.Bool("json", false, "one JSON object")
	if err := parseFlags(fs, args, g.Env); err != nil {
		return err
	}
	db, err := g.openStore(ctx)
	if err != nil {
		return err
	}
	st, err := db.Stats(ctx)
	db.Close()
	if err != nil {
		return fmt.Errorf("read store: %w", err)
	}
	rep := statusReport{Stats: st, DataDir: g.Data, DataSize: dirSize(g.Data)}
	err = withIndexStatus(ctx, g, &rep)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(g.Env.Stdout).Encode(rep)
	}
	return printStatus(g, rep)
}

// catchUp runs the indexer until it has applied every event in the store.
func catchUp(ctx context.Context, idx *search.Index, db *storage.DB) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- idx.Run(ctx, db) }()
	for {
		lag, err := idx.IndexLag(ctx)
		if err != nil {
			cancel()
			<-done
			return err
		}
		if lag == 0 {
			cancel()
			return <-done
		}
		idx.Notify()
		select {
		case err := <-done:
			return err
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// withIndexStatus fills the index figures of rep: from the running server,
// else from the index opened read-only (the lag is then what a server would
// catch up with at start).
func withIndexStatus(ctx context.Context, g *Global, rep *statusReport) error {
	if c := dialControl(g.Data); c != nil {
		st, err := remoteIndex{c}.status(ctx)
		rep.Indexed, rep.IndexLag = st.Indexed, st.IndexLag
		return err
	}
	dir := filepath.Join(g.Data, "index")
	if _, err := os.Stat(dir); os.IsNotExist(err) {
		rep.IndexLag = rep.LastEventID
		return nil
	}
	db, err := g.openStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	idx, err := search.OpenReadOnly(ctx, dir, g.Logger, search.Options{Source: db})
	if err != nil {
		return fmt.Errorf("open search index: %w", err)
	}
	defer idx.Close()
	if rep.Indexed, err = idx.DocCount(); err != nil {
		return err
	}
	rep.IndexLag, err = idx.IndexLag(ctx)
	return err
}

func printStatus(g *Global, rep statusReport) error {
	tw := tabwriter.NewWriter(g.Env.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "data directory\t%s (%.1f MB)\n", rep.DataDir, float64(rep.DataSize)/1e6)
	fmt.Fprintf(tw, "schema version\t%d\n", rep.SchemaVersion)
	fmt.Fprintf(tw, "tickets\t%d\n", rep.Tickets)
	for _, k := range sortedKeys(rep.ByStatus) {
		fmt.Fprintf(tw, "  %s\t%d\n", k, rep.ByStatus[k])
	}
	fmt.Fprintf(tw, "by department\t\n")
	for _, k := range sortedKeys(rep.ByDepartment) {
		name := k
		if name == "" {
			name = "(unrouted)"
		}
		fmt.Fprintf(tw, "  %s\t%d\n", name, rep.ByDepartment[k])
	}
	fmt.Fprintf(tw, "messages\t%d\n", rep.Messages)
	fmt.Fprintf(tw, "contacts\t%d\n", rep.Contacts)
	fmt.Fprintf(tw, "channels\t%d\n", rep.Channels)
	fmt.Fprintf(tw, "indexed documents\t%d\n", rep.Indexed)
	fmt.Fprintf(tw, "index lag (events)\t%d\n", rep.IndexLag)
	return tw.Flush()
}

func sortedKeys(m map[string]int64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func dirSize(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}

func joinArgs(args []string) string { return strings.Join(args, " ") }

var markTag = regexp.MustCompile(`</?mark>`)

// plainSnippet turns the HTML snippet into terminal text, matches in bold.
func plainSnippet(s string) string {
	s = markTag.ReplaceAllStringFunc(s, func(t string) string {
		if t == "<mark>" {
			return "\033[1m"
		}
		return "\033[0m"
	})
	return strings.Join(strings.Fields(html.UnescapeString(s)), " ")
}
