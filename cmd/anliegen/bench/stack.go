package bench

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/anliegen/anliegen"
	"github.com/anliegen/anliegen/storage"
	"github.com/anliegen/anliegen/storage/search"
)

// stack is the store and the search index as "anliegen serve" runs them:
// the indexer follows the events log in the background.
type stack struct {
	dir      string
	db       *storage.DB
	idx      *search.Index
	stopRun  context.CancelFunc
	runDone  chan struct{}
	channels []int64 // per corpusPlatforms entry
	logger   *slog.Logger
	// notify wakes the websocket hub after a commit, as the server's
	// wiring does; nil while no server runs.
	notify func()
}

func indexDir(dataDir string) string { return filepath.Join(dataDir, "index") }

// openStack opens store and index in dir and starts the indexer.
func openStack(ctx context.Context, dir string, logger *slog.Logger) (*stack, error) {
	db, err := storage.Open(ctx, dir, logger)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	idx, err := search.Open(ctx, indexDir(dir), logger, search.Options{Source: db})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open index: %w", err)
	}
	s := &stack{dir: dir, db: db, idx: idx, logger: logger}
	s.startIndexer()
	return s, nil
}

func (s *stack) startIndexer() {
	runCtx, cancel := context.WithCancel(context.Background())
	s.stopRun, s.runDone = cancel, make(chan struct{})
	go func() {
		defer close(s.runDone)
		if err := s.idx.Run(runCtx, s.db); err != nil {
			s.logger.Error("bench: indexer", "err", err)
		}
	}()
}

// stopIndexer stops the background indexer; startIndexer starts it again
// and it catches up from its checkpoint.
func (s *stack) stopIndexer() {
	if s.stopRun != nil {
		s.stopRun()
		<-s.runDone
		s.stopRun = nil
	}
}

// close stops the indexer and closes index and store.
func (s *stack) close() error {
	s.stopIndexer()
	return errors.Join(s.idx.Close(), s.db.Close())
}

// createChannels makes one channel per corpus platform.
func (s *stack) createChannels(ctx context.Context) error {
	for _, p := range corpusPlatforms {
		ch := anliegen.Channel{Platform: p, Name: "Bench " + string(p), Account: "musterstadt"}
		if err := s.db.CreateChannel(ctx, &ch); err != nil {
			return fmt.Errorf("create channel: %w", err)
		}
		s.channels = append(s.channels, ch.ID)
	}
	return nil
}

// ingest stores items of one channel and wakes the indexer, as the
// connectors runtime does after each poll.
func (s *stack) ingest(ctx context.Context, channel int, items []anliegen.Item) (anliegen.IngestResult, error) {
	res, err := s.db.Ingest(ctx, s.channels[channel], items, "")
	if err != nil {
		return res, err
	}
	s.idx.Notify()
	if s.notify != nil {
		s.notify()
	}
	return res, nil
}

// waitIndexed waits until the index has applied every event, polling;
// it gives up after limit.
func (s *stack) waitIndexed(ctx context.Context, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		lag, err := s.idx.IndexLag(ctx)
		if err != nil {
			return err
		}
		if lag == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("index still %d events behind after %s", lag, limit)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}
