package search

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/anliegen/anliegen"
	"github.com/anliegen/anliegen/storage/corpus"
)

// Benchmarks of search at 100k messages, and at 1M with
// ANLIEGEN_BENCH_1M=1. The built indexes (bleve and the FTS5 baseline)
// are cached in $TMPDIR/anliegen-bench, keyed by size and mapping
// version, so that reruns only search:
//
//	go test -run XXX -bench . -benchtime 2000x ./storage/search/
//	ANLIEGEN_BENCH_1M=1 go test -run XXX -bench 'Search/1000000' -benchtime 2000x -timeout 60m ./storage/search/

// corpusSource serves generated inquiries as an IndexSource with one
// ticket per inquiry; its event log is empty (the index is built by
// Rebuild).
type corpusSource struct {
	qs       []corpus.Inquiry
	first    []int64 // first message ID of each ticket
	messages int
	rawBytes int64
}

// newCorpusSource generates inquiries until they hold n messages.
func newCorpusSource(n int) *corpusSource {
	g := corpus.New(1)
	s := &corpusSource{}
	next := int64(1)
	for s.messages < n {
		q := g.Next()
		s.qs = append(s.qs, q)
		s.first = append(s.first, next)
		next += int64(q.Messages())
		s.messages += q.Messages()
		s.rawBytes += int64(len(q.Text) + len(q.Answer))
	}
	return s
}

func (s *corpusSource) docs(ticket int64) []anliegen.IndexDoc {
	if ticket < 1 || ticket > int64(len(s.qs)) {
		return nil
	}
	return s.qs[ticket-1].IndexDocs(ticket, s.first[ticket-1])
}

func (s *corpusSource) EventsAfter(context.Context, int64, int) ([]anliegen.Event, error) {
	return nil, nil
}

func (s *corpusSource) LastEventID(context.Context) (int64, error) { return 0, nil }

func (s *corpusSource) IndexDocs(_ context.Context, ids []int64) ([]anliegen.IndexDoc, error) {
	var out []anliegen.IndexDoc
	for _, id := range ids {
		out = append(out, s.docs(id)...)
	}
	return out, nil
}

func (s *corpusSource) ScanIndexDocs(_ context.Context, after int64, limit int) ([]anliegen.IndexDoc, int64, error) {
	var out []anliegen.IndexDoc
	last := min(after+int64(limit), int64(len(s.qs)))
	for id := after + 1; id <= last; id++ {
		out = append(out, s.docs(id)...)
	}
	if last >= int64(len(s.qs)) {
		return out, 0, nil
	}
	return out, last, nil
}

// benchQueries are the staff queries of the quality test.
func benchQueries(b *testing.B) []string {
	var out []string
	for _, q := range readJSONL[searchQuery](b, "../../testdata/search-queries-dev.jsonl") {
		out = append(out, q.Query)
	}
	return out
}

// benchIndex opens the cached index of n messages, building it first if
// there is none, and reports build rate and size when it builds.
func benchIndex(b *testing.B, n int) (*Index, *corpusSource, *ftsIndex) {
	b.Helper()
	src := newCorpusSource(n)
	dir := filepath.Join(os.TempDir(), "anliegen-bench", fmt.Sprintf("search-%d-v%s", n, mappingVersion))
	done := filepath.Join(dir, "done")
	if _, err := os.Stat(done); err != nil {
		if err := os.RemoveAll(dir); err != nil {
			b.Fatal(err)
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			b.Fatal(err)
		}
		x, err := Open(context.Background(), filepath.Join(dir, "index"), testLogger(), Options{Source: src})
		if err != nil {
			b.Fatal(err)
		}
		start, cpuStart := time.Now(), cpuTime()
		if err := x.Rebuild(context.Background(), src); err != nil {
			b.Fatal(err)
		}
		if err := x.Close(); err != nil { // flushes and merges what is pending
			b.Fatal(err)
		}
		took, cpu := time.Since(start), cpuTime()-cpuStart
		ftsStart := time.Now()
		buildFTS(b, filepath.Join(dir, "fts.db"), src)
		ftsTook := time.Since(ftsStart)
		b.Logf("built %d messages: bleve %.0f docs/s (%v; %.0f docs per CPU-second), FTS5 %.0f docs/s (%v)", src.messages,
			float64(src.messages)/took.Seconds(), took.Round(time.Second), float64(src.messages)/cpu.Seconds(),
			float64(src.messages)/ftsTook.Seconds(), ftsTook.Round(time.Second))
		if err := os.WriteFile(done, []byte("ok\n"), 0o600); err != nil {
			b.Fatal(err)
		}
	}
	x, err := Open(context.Background(), filepath.Join(dir, "index"), testLogger(), Options{Source: src})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { x.Close() })
	db, err := sql.Open("sqlite", filepath.Join(dir, "fts.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	// Segments merged away by the rebuild are deleted in the background;
	// measure once they are gone (a rebuilt index has one segment).
	for range 120 {
		zaps, _ := filepath.Glob(filepath.Join(dir, "index", "index-*", "store", "*.zap"))
		if len(zaps) <= 1 {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	size, ftsSize := dirSize(b, filepath.Join(dir, "index")), dirSize(b, filepath.Join(dir, "fts.db"))
	b.Logf("%d messages, raw text %.1f MiB; bleve index %.1f MiB (%.2f× raw), FTS5 %.1f MiB (%.2f× raw)",
		src.messages, mb(src.rawBytes), mb(size), float64(size)/float64(src.rawBytes),
		mb(ftsSize), float64(ftsSize)/float64(src.rawBytes))
	return x, src, &ftsIndex{db: db}
}

func mb(n int64) float64 { return float64(n) / (1 << 20) }

func dirSize(b *testing.B, path string) int64 { return dirSizeT(b, path) }

func dirSizeT(b testing.TB, path string) int64 {
	var n int64
	err := filepath.WalkDir(path, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err == nil {
			n += info.Size()
		}
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	return n
}

// buildFTS writes the baseline: one FTS5 row per message.
func buildFTS(b *testing.B, path string, src *corpusSource) {
	db, err := sql.Open("sqlite", path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;
		CREATE VIRTUAL TABLE m USING fts5(text, ticket UNINDEXED, tokenize='unicode61')`); err != nil {
		b.Fatal(err)
	}
	for start := 0; start < len(src.qs); start += 10000 {
		tx, err := db.Begin()
		if err != nil {
			b.Fatal(err)
		}
		for i := start; i < min(start+10000, len(src.qs)); i++ {
			for _, d := range src.docs(int64(i + 1)) {
				if _, err := tx.Exec(`INSERT INTO m(text, ticket) VALUES (?, ?)`, d.Text, d.TicketID); err != nil {
					b.Fatal(err)
				}
			}
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := db.Exec(`INSERT INTO m(m) VALUES ('optimize')`); err != nil {
		b.Fatal(err)
	}
}

func BenchmarkSearch(b *testing.B) {
	sizes := []int{100_000}
	if os.Getenv("ANLIEGEN_BENCH_1M") != "" {
		sizes = append(sizes, 1_000_000)
	}
	for _, n := range sizes {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			x, _, fts := benchIndex(b, n)
			queries := benchQueries(b)
			var bleveTimes, ftsTimes []time.Duration
			ctx := context.Background()
			i := 0
			for b.Loop() {
				q := queries[i%len(queries)]
				i++
				start := time.Now()
				if _, err := x.Search(ctx, anliegen.SearchQuery{Q: q, Scope: anliegen.ScopeAll}); err != nil {
					b.Fatal(err)
				}
				bleveTimes = append(bleveTimes, time.Since(start))
				start = time.Now()
				ftsTop(b, fts, q)
				ftsTimes = append(ftsTimes, time.Since(start))
			}
			p50, p99 := percentile(bleveTimes, 50), percentile(bleveTimes, 99)
			f50, f99 := percentile(ftsTimes, 50), percentile(ftsTimes, 99)
			b.ReportMetric(ms(p50), "p50-ms")
			b.ReportMetric(ms(p99), "p99-ms")
			b.ReportMetric(ms(f50), "fts-p50-ms")
			b.ReportMetric(ms(f99), "fts-p99-ms")
			b.ReportMetric(ms(p50)/ms(f50), "p50-ratio")
			b.ReportMetric(ms(p99)/ms(f99), "p99-ratio")
		})
	}
}

// ftsTop runs a search page on the baseline: the best 20 messages and the
// number of matches (what a result page with a total shows).
func ftsTop(b *testing.B, f *ftsIndex, q string) {
	rows, err := f.db.Query(`SELECT ticket, snippet(m, 0, '<mark>', '</mark>', '…', 30) FROM m WHERE m MATCH ? ORDER BY bm25(m) LIMIT 20`, ftsQuery(q))
	if err != nil {
		b.Fatal(err)
	}
	for rows.Next() {
	}
	rows.Close()
	var n int
	if err := f.db.QueryRow(`SELECT count(*) FROM m WHERE m MATCH ?`, ftsQuery(q)).Scan(&n); err != nil {
		b.Fatal(err)
	}
}

func percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[min(len(s)-1, len(s)*p/100)]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// BenchmarkRebuild measures the build rate of a fresh index.
func BenchmarkRebuild(b *testing.B) {
	src := newCorpusSource(5_000)
	for b.Loop() {
		x, err := Open(context.Background(), b.TempDir(), testLogger(), Options{Source: src})
		if err != nil {
			b.Fatal(err)
		}
		if err := x.Rebuild(context.Background(), src); err != nil {
			b.Fatal(err)
		}
		if err := x.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(src.messages*b.N)/b.Elapsed().Seconds(), "docs/s")
}
