package search

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/index/scorch/mergeplan"

	"github.com/anliegen/anliegen"
)

// Rebuild sizes: tickets per ScanIndexDocs call, documents per bleve
// batch, and batches built at once. Larger batches make fewer segments,
// but every document in flight costs about 40 KB of heap until its batch
// is written: two builders of 10,000 documents peaked at 630 MB for a
// 100,000-message rebuild, one of 5,000 at 260 MB (with the corpus), and
// bleve analyses a batch on several goroutines anyway.
const (
	rebuildTickets  = 1000
	rebuildBatch    = 5000
	rebuildBuilders = 1
)

// Rebuild builds a fresh index from src in a new directory and swaps it in
// for the live one: searches in flight finish on the old index, later ones
// use the new index, and the old directory is removed. The new index's
// checkpoint is the last event ID read before the walk, so events written
// during the rebuild are replayed by Run afterwards. On error the live
// index stays as it was.
func (x *Index) Rebuild(ctx context.Context, src anliegen.IndexSource) error {
	if x.readOnly {
		return errors.New("rebuild index: index is read-only")
	}
	start := time.Now()
	last, err := src.LastEventID(ctx)
	if err != nil {
		return fmt.Errorf("rebuild index: last event: %w", err)
	}
	idx, name, err := x.create()
	if err != nil {
		return fmt.Errorf("rebuild index: %w", err)
	}
	n, err := fill(ctx, idx, src, last)
	if err != nil {
		_ = idx.Close()
		_ = os.RemoveAll(filepath.Join(x.dir, name))
		return fmt.Errorf("rebuild index: %w", err)
	}
	if err := x.swap(idx, name); err != nil {
		_ = idx.Close()
		_ = os.RemoveAll(filepath.Join(x.dir, name))
		return fmt.Errorf("rebuild index: %w", err)
	}
	x.logger.InfoContext(ctx, "search index rebuilt", "index", name, "docs", n,
		"checkpoint", last, "duration", time.Since(start).Round(time.Millisecond))
	return nil
}

// fill indexes every document of src into idx and sets its checkpoint.
// One goroutine reads the store while rebuildBuilders goroutines analyse
// and index batches.
func fill(ctx context.Context, idx bleve.Index, src anliegen.IndexSource, checkpoint int64) (int, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	docs := make(chan []anliegen.IndexDoc, rebuildBuilders)
	errs := make(chan error, rebuildBuilders+1)
	var total int
	go func() {
		defer close(docs)
		after := int64(0)
		for {
			ds, next, err := src.ScanIndexDocs(ctx, after, rebuildTickets)
			if err != nil {
				errs <- fmt.Errorf("scan documents after ticket %d: %w", after, err)
				return
			}
			total += len(ds)
			select {
			case docs <- ds:
			case <-ctx.Done():
				return
			}
			if next == 0 {
				return
			}
			if next <= after {
				errs <- fmt.Errorf("scan documents: cursor went from %d back to %d", after, next)
				return
			}
			after = next
		}
	}()
	var wg sync.WaitGroup
	for range rebuildBuilders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := idx.NewBatch()
			flush := func() error {
				if b.Size() == 0 {
					return nil
				}
				if err := idx.Batch(b); err != nil {
					return fmt.Errorf("index batch: %w", err)
				}
				b.Reset()
				return nil
			}
			for ds := range docs {
				err := addDocs(idx, b, ds)
				if err == nil && b.Size() >= rebuildBatch {
					err = flush()
				}
				if err != nil {
					errs <- err
					cancel()
					return
				}
			}
			if err := flush(); err != nil {
				errs <- err
				cancel()
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return 0, err
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	// The checkpoint goes in last, once every document is in.
	b := idx.NewBatch()
	b.SetInternal(keyCheckpoint, []byte(strconv.FormatInt(checkpoint, 10)))
	if err := idx.Batch(b); err != nil {
		return 0, fmt.Errorf("index batch: %w", err)
	}
	return total, compact(ctx, idx)
}

// swap makes idx the live index: CURRENT first, so a crash after it opens
// the new index, then the pointer, then the old index is closed and removed.
func (x *Index) swap(idx bleve.Index, name string) error {
	a, err := newAnalyzer(idx)
	if err != nil {
		return err
	}
	x.writeMu.Lock()
	defer x.writeMu.Unlock()
	x.mu.RLock()
	closed := x.idx == nil
	x.mu.RUnlock()
	if closed {
		return errClosed
	}
	if err := writeCurrent(x.dir, name); err != nil {
		return err
	}
	x.mu.Lock()
	old, oldName := x.idx, x.name
	x.idx, x.name, x.an = idx, name, a
	x.mu.Unlock()
	if err := old.Close(); err != nil {
		x.logger.Warn("close old index", "index", oldName, "err", err)
	}
	if err := os.RemoveAll(filepath.Join(x.dir, oldName)); err != nil {
		x.logger.Warn("remove old index", "index", oldName, "err", err)
	}
	return nil
}

// compact merges a freshly built index into one segment: one term
// dictionary instead of one per batch makes the index smaller and
// searches faster. Later batches add segments that bleve merges as usual.
func compact(ctx context.Context, idx bleve.Index) error {
	a, err := idx.Advanced()
	if err != nil {
		return fmt.Errorf("compact index: %w", err)
	}
	s, ok := a.(*scorch.Scorch)
	if !ok {
		return nil
	}
	if err := s.ForceMerge(ctx, &mergeplan.SingleSegmentMergePlanOptions); err != nil {
		return fmt.Errorf("compact index: %w", err)
	}
	return nil
}
