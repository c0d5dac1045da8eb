package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/anliegen/anliegen"
	"github.com/anliegen/anliegen/storage"
	"github.com/anliegen/anliegen/storage/search"
)

// backfill ingests the corpus through Ingest in batches per channel, with
// the indexer running beside it, and stops the clock when the index has
// applied the last event. Generating the items is not counted.
func (b *run) backfill(ctx context.Context) error {
	st := b.st
	if err := st.createChannels(ctx); err != nil {
		return err
	}
	c := newCorpus(b.o.Seed, b.o.Messages, "")
	pending := make([][]anliegen.Item, len(corpusPlatforms))
	var gen time.Duration
	start := time.Now()
	flush := func(ch int) error {
		if len(pending[ch]) == 0 {
			return nil
		}
		_, err := st.ingest(ctx, ch, pending[ch])
		pending[ch] = pending[ch][:0]
		return err
	}
	for n := 0; ; n++ {
		t := time.Now()
		it, ok := c.next()
		gen += time.Since(t)
		if !ok {
			break
		}
		b.r.TextBytes += int64(len(it.item.Text))
		pending[it.channel] = append(pending[it.channel], it.item)
		if len(pending[it.channel]) >= ingestBatch {
			if err := flush(it.channel); err != nil {
				return err
			}
			b.p.count("%d/%d messages stored", n+1, b.o.Messages)
		}
	}
	for ch := range pending {
		if err := flush(ch); err != nil {
			return err
		}
	}
	stored := time.Since(start) - gen
	if err := st.waitIndexed(ctx, time.Hour); err != nil {
		return err
	}
	total := time.Since(start) - gen
	b.r.BackfillMsgsPerS = float64(b.o.Messages) / total.Seconds()
	b.p.phase("  stored in %.1fs, indexed after %.1fs: %.0f msgs/s (raw SQLite %.0f rows/s)",
		stored.Seconds(), total.Seconds(), b.r.BackfillMsgsPerS, b.r.RawSQLiteRowsPerS)
	return nil
}

// search measures Search over the index against FTS5 over the same
// texts, each query warmed once.
func (b *run) search(ctx context.Context) error {
	queries := make([]string, 0, len(benchQueries)*b.o.SearchRounds)
	for range b.o.SearchRounds {
		queries = append(queries, benchQueries...)
	}
	rng := rand.New(rand.NewPCG(uint64(b.o.Seed), 7))
	rng.Shuffle(len(queries), func(i, j int) { queries[i], queries[j] = queries[j], queries[i] })
	b.r.SearchQueries = len(queries)

	bleveRun := func(q string) error {
		_, err := b.st.idx.Search(ctx, anliegen.SearchQuery{Q: q, Scope: anliegen.ScopeAll, Limit: 20})
		return err
	}
	d, err := timeQueries(queries, bleveRun)
	if err != nil {
		return fmt.Errorf("search: %w", err)
	}
	b.r.SearchP50MS, b.r.SearchP99MS = percentileMS(d, 50), percentileMS(d, 99)

	b.p.phase("  building the FTS5 anchor")
	f, err := buildFTS5(ctx, filepath.Join(b.o.Dir, "fts5.db"), b.o.Seed, b.o.Messages, ingestBatch)
	if err != nil {
		return err
	}
	defer f.Close()
	d, err = timeQueries(queries, func(q string) error { _, err := f.search(ctx, q); return err })
	if err != nil {
		return err
	}
	b.r.FTS5P50MS, b.r.FTS5P99MS = percentileMS(d, 50), percentileMS(d, 99)
	b.p.phase("  search p50 %.2f ms p99 %.2f ms; FTS5 p50 %.2f ms p99 %.2f ms",
		b.r.SearchP50MS, b.r.SearchP99MS, b.r.FTS5P50MS, b.r.FTS5P99MS)
	return nil
}

// timeQueries runs each distinct query once to warm caches, then times
// every query in order.
func timeQueries(queries []string, fn func(q string) error) ([]time.Duration, error) {
	seen := map[string]bool{}
	for _, q := range queries {
		if !seen[q] {
			seen[q] = true
			if err := fn(q); err != nil {
				return nil, fmt.Errorf("query %q: %w", q, err)
			}
		}
	}
	d := make([]time.Duration, 0, len(queries))
	for _, q := range queries {
		t := time.Now()
		if err := fn(q); err != nil {
			return nil, fmt.Errorf("query %q: %w", q, err)
		}
		d = append(d, time.Since(t))
	}
	return d, nil
}

// reindex rebuilds the index from the store while the old one stays live.
func (b *run) reindex(ctx context.Context) error {
	t := time.Now()
	if err := b.st.idx.Rebuild(ctx, b.st.db); err != nil {
		return err
	}
	b.r.ReindexS = time.Since(t).Seconds()
	b.p.phase("  reindex %.1fs", b.r.ReindexS)
	return nil
}

// startup closes everything, measures the files, and times opening store
// and index again until the index reports its lag: what "anliegen serve"
// does before it answers /readyz.
func (b *run) startup(ctx context.Context) error {
	if err := b.st.waitIndexed(ctx, 10*time.Minute); err != nil {
		return err
	}
	dir := b.st.dir
	err := b.st.close()
	b.st = nil
	if err != nil {
		return err
	}
	b.r.DBBytes = dirBytesPrefix(dir, storage.FileName)
	b.r.IndexBytes = dirBytes(indexDir(dir))
	if b.r.TextBytes > 0 {
		b.r.IndexBytesPerTextByte = float64(b.r.IndexBytes) / float64(b.r.TextBytes)
		b.r.DBBytesPerTextByte = float64(b.r.DBBytes) / float64(b.r.TextBytes)
	}
	t := time.Now()
	db, err := storage.Open(ctx, dir, b.o.Logger)
	if err != nil {
		return fmt.Errorf("reopen store: %w", err)
	}
	defer db.Close()
	idx, err := search.Open(ctx, indexDir(dir), b.o.Logger, search.Options{Source: db})
	if err != nil {
		return fmt.Errorf("reopen index: %w", err)
	}
	defer idx.Close()
	if _, err := idx.IndexLag(ctx); err != nil {
		return err
	}
	b.r.StartupS = time.Since(t).Seconds()
	b.p.phase("  startup %.3fs; db %.1f MB, index %.1f MB for %.1f MB of text", b.r.StartupS,
		float64(b.r.DBBytes)/(1<<20), float64(b.r.IndexBytes)/(1<<20), float64(b.r.TextBytes)/(1<<20))
	return nil
}

// dirBytesPrefix sums the files in dir whose name starts with name (the
// database and its WAL and shared-memory files).
func dirBytesPrefix(dir, name string) int64 {
	var n int64
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if info, err := os.Stat(filepath.Join(dir, name+suffix)); err == nil {
			n += info.Size()
		}
	}
	return n
}
