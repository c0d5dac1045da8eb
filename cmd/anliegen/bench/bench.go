// Package bench is the built-in benchmark of "anliegen bench": it builds a
// store and a search index from a generated corpus in a scratch directory
// and measures backfill, live ingest, search, websocket fan-out, reindex,
// startup, sizes and memory, each beside an anchor measured in the same
// run on the same data (plain SQLite inserts, SQLite FTS5, raw text bytes).
package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"time"
)

// Options configure a run. Zero values take the defaults named.
type Options struct {
	// Dir is the scratch directory; it must be empty or not exist. Run
	// leaves its files there; the caller removes a temporary one.
	Dir       string
	Messages  int   // corpus size, default 100,000
	WSClients int   // websocket clients of the fan-out, default 500
	Seed      int64 // corpus seed, default 1
	// WSSeconds is how long the fan-out runs at 20 events/s, default 10.
	WSSeconds float64
	// SearchRounds is how often each query runs per engine, default 10.
	SearchRounds int
	// Progress receives one line per phase; Live adds a rewritten
	// counter line (for a terminal). Nil is silent.
	Progress io.Writer
	Live     bool
	// Logger gets the components' warnings; nil discards.
	Logger *slog.Logger
}

func (o *Options) defaults() {
	if o.Messages <= 0 {
		o.Messages = 100000
	}
	if o.WSClients <= 0 {
		o.WSClients = 500
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.WSSeconds <= 0 {
		o.WSSeconds = 10
	}
	if o.SearchRounds <= 0 {
		o.SearchRounds = 10
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// Result holds the figures of one run. JSON names are stable: scripts and
// the test read them.
type Result struct {
	Messages  int       `json:"messages"`
	Seed      int64     `json:"seed"`
	Cores     int       `json:"cores"`
	GoVersion string    `json:"go_version"`
	Date      time.Time `json:"date"`
	TotalS    float64   `json:"total_s"`
	// CPUS is the CPU time (user and system) of the whole run: beside
	// TotalS it shows how much of the wall time the process really ran.
	CPUS float64 `json:"cpu_s"`
	// LoadStart and LoadEnd are the 1-minute load averages before and
	// after the run: the machine may be shared, and the figures say how
	// busy it was.
	LoadStart float64 `json:"load_avg_start"`
	LoadEnd   float64 `json:"load_avg_end"`

	BackfillMsgsPerS  float64 `json:"backfill_msgs_per_s"`
	RawSQLiteRowsPerS float64 `json:"raw_sqlite_rows_per_s"`

	LiveItems       int     `json:"live_items"`
	LiveP50MS       float64 `json:"live_p50_ms"`
	LiveP99MS       float64 `json:"live_p99_ms"`
	LiveItemsPerS   float64 `json:"live_items_per_s"`
	LiveIngestP99MS float64 `json:"live_ingest_p99_ms"`

	SearchQueries int     `json:"search_queries"`
	SearchP50MS   float64 `json:"search_p50_ms"`
	SearchP99MS   float64 `json:"search_p99_ms"`
	FTS5P50MS     float64 `json:"fts5_p50_ms"`
	FTS5P99MS     float64 `json:"fts5_p99_ms"`

	WSClients          int     `json:"ws_clients"`
	WSEventsPerS       float64 `json:"ws_events_per_s"`
	WSP50MS            float64 `json:"ws_p50_ms"`
	WSP99MS            float64 `json:"ws_p99_ms"`
	WSMissed           int     `json:"ws_missed"`
	WSKBPerConn        float64 `json:"ws_kb_per_conn"`
	WSKBPerConnClient  float64 `json:"ws_kb_per_conn_client"`
	WSKBPerConnMeasure float64 `json:"ws_kb_per_conn_total"`

	ReindexS float64 `json:"reindex_s"`
	StartupS float64 `json:"startup_s"`

	TextBytes             int64   `json:"text_bytes"`
	IndexBytes            int64   `json:"index_bytes"`
	DBBytes               int64   `json:"db_bytes"`
	IndexBytesPerTextByte float64 `json:"index_bytes_per_text_byte"`
	DBBytesPerTextByte    float64 `json:"db_bytes_per_text_byte"`
	HeapPeakMB            float64 `json:"heap_peak_mb"`
	RSSPeakMB             float64 `json:"rss_peak_mb"`
}

// ingestBatch is the number of items per Ingest call in the backfill and
// per transaction in the raw anchor: a large connector page, as the
// history import uses.
const ingestBatch = 1000

// Run runs the benchmark. Phases run one after another; ctx cancels.
func Run(ctx context.Context, o Options) (*Result, error) {
	o.defaults()
	// The components log routine steps (migrations, requests) at info,
	// which would bury the progress lines.
	o.Logger = warnOnly(o.Logger)
	if err := checkScratch(o.Dir); err != nil {
		return nil, err
	}
	start, cpuStart := time.Now(), cpuTime()
	heap := startHeapSampler(50 * time.Millisecond)
	r := &Result{Messages: o.Messages, Seed: o.Seed, Cores: runtime.NumCPU(), GoVersion: runtime.Version(),
		Date: start.UTC().Truncate(time.Second), WSClients: o.WSClients, LoadStart: loadAvg()}
	b := &run{o: o, r: r, p: newProgress(o.Progress, o.Live)}
	err := b.all(ctx)
	peak := heap.Stop()
	if err != nil {
		return nil, err
	}
	r.HeapPeakMB = float64(peak) / (1 << 20)
	r.RSSPeakMB = float64(procStatusKB("VmHWM")) / 1024
	r.TotalS = time.Since(start).Seconds()
	r.CPUS = (cpuTime() - cpuStart).Seconds()
	r.LoadEnd = loadAvg()
	return r, nil
}

// checkScratch refuses a directory with files in it: the benchmark must
// never write into a real data directory.
func checkScratch(dir string) error {
	if dir == "" {
		return errors.New("bench: no scratch directory")
	}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return os.MkdirAll(dir, 0o700)
	}
	if err != nil {
		return fmt.Errorf("bench: scratch directory: %w", err)
	}
	if len(entries) > 0 {
		return fmt.Errorf("bench: scratch directory %s is not empty", dir)
	}
	return nil
}

// run is the state of one benchmark run.
type run struct {
	o   Options
	r   *Result
	p   *progress
	st  *stack
	srv *liveServer // from the live phase to the end of the fan-out
}

func (b *run) all(ctx context.Context) error {
	o := b.o
	b.p.phase("raw SQLite anchor: %d rows", o.Messages)
	raw, err := rawInsert(ctx, filepath.Join(o.Dir, "raw.db"), o.Seed, o.Messages, ingestBatch)
	if err != nil {
		return err
	}
	b.r.RawSQLiteRowsPerS = raw

	if b.st, err = openStack(ctx, filepath.Join(o.Dir, "data"), o.Logger); err != nil {
		return err
	}
	defer func() {
		if b.srv != nil {
			b.srv.stop()
		}
		if b.st != nil {
			b.st.close()
		}
	}()
	steps := []struct {
		name string
		fn   func(context.Context) error
	}{
		{"backfill into store and index", b.backfill},
		{"search vs FTS5", b.search},
		{"live ingest", b.live},
		{"websocket fan-out", b.fanOut},
		{"reindex", b.reindex},
		{"sizes and startup", b.startup},
	}
	for _, s := range steps {
		if err := ctx.Err(); err != nil {
			return err
		}
		b.p.phase("%s", s.name)
		if err := s.fn(ctx); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	return nil
}

// progress writes phase lines, and on a terminal a live counter.
type progress struct {
	w     io.Writer
	live  bool
	start time.Time
	last  time.Time
}

func newProgress(w io.Writer, live bool) *progress {
	return &progress{w: w, live: live, start: time.Now()}
}

func (p *progress) phase(format string, args ...any) {
	p.clear()
	fmt.Fprintf(p.w, "bench %6.1fs  "+format+"\n", append([]any{time.Since(p.start).Seconds()}, args...)...)
}

func (p *progress) count(format string, args ...any) {
	if !p.live || time.Since(p.last) < 200*time.Millisecond {
		return
	}
	p.last = time.Now()
	fmt.Fprintf(p.w, "\r\033[K  "+format, args...)
}

func (p *progress) clear() {
	if p.live && !p.last.IsZero() {
		fmt.Fprint(p.w, "\r\033[K")
		p.last = time.Time{}
	}
}
