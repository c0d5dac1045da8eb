// Package search is the full-text index of Anliegen: a bleve (scorch) index
// of every inbound and outbound message with a German-aware mapping, fed
// from the events log of the store and rebuildable from it at any time
// (invariant 3). It implements anliegen.Searcher.
//
// Layout on disk: dir/CURRENT names the active bleve directory
// (dir/index-<timestamp>); a rebuild writes a new directory and switches
// CURRENT, so a restart always opens a complete index.
//
// One process at a time may open an index for writing: bleve holds an
// exclusive lock on its root.bolt file while open. A second Open, or an
// OpenReadOnly while a server runs, waits LockTimeout for the lock and
// then fails with anliegen.EConflict instead of hanging. Read-only opens
// share the lock with each other.
package search

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/blevesearch/bleve/v2"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/anliegen/anliegen"
)

// Keys of bleve's internal store. The checkpoint is written in the same
// batch as the documents it covers, so the two never disagree.
var (
	keyCheckpoint = []byte("anliegen.checkpoint")
	keyVersion    = []byte("anliegen.mapping_version")
)

// mappingVersion names the mapping and analysis in newMapping; bump it
// when they change, and Run rebuilds an index of an older version.
const mappingVersion = "7"

const currentFile = "CURRENT"

// Options configure an Index. Zero values take the defaults.
type Options struct {
	// Source is the store: it loads the current text of hits for snippets
	// and Similar (the index stores no text), and the last event ID for
	// IndexLag. Required.
	Source anliegen.IndexSource
	// BatchEvents is how many events one indexing batch reads (1,000).
	BatchEvents int
	// PollInterval is how often an idle indexer looks for new events (200 ms).
	PollInterval time.Duration
	// LockTimeout is how long Open waits for another process to release
	// the index (1 s).
	LockTimeout time.Duration
}

func (o *Options) defaults() {
	if o.BatchEvents <= 0 {
		o.BatchEvents = 1000
	}
	if o.PollInterval <= 0 {
		o.PollInterval = 200 * time.Millisecond
	}
	if o.LockTimeout <= 0 {
		o.LockTimeout = time.Second
	}
}

// Index is an open search index. It is safe for concurrent use; Run
// indexes in the background while Search and Similar read.
type Index struct {
	dir      string
	logger   *slog.Logger
	opts     Options
	readOnly bool
	notify   chan struct{}

	// writeMu serializes batches and the swap of a rebuild, so that no
	// batch lands in an index that is being replaced.
	writeMu sync.Mutex
	// mu guards idx and name. Searches hold the read lock for their whole
	// run, so a swap waits for searches in flight on the old index before
	// it closes it.
	mu   sync.RWMutex
	idx  bleve.Index
	name string
	an   analyzer
	// facets caches the facet tables of the index's segments.
	facets *facetCache
}

var _ anliegen.Searcher = (*Index)(nil)

// Open opens the index in dir for reading and writing, creating it when
// there is none. An index that cannot be opened (deleted or damaged
// files) is replaced by a new, empty one, which Run rebuilds from the
// store. EConflict when another process holds it.
func Open(ctx context.Context, dir string, logger *slog.Logger, opts Options) (*Index, error) {
	return open(ctx, dir, logger, opts, false)
}

// OpenReadOnly opens the index in dir for searching only, for command-line
// tools beside a stopped server. EConflict ("index is in use by a running
// server") when a writer holds it; ENotFound when there is no index.
func OpenReadOnly(ctx context.Context, dir string, logger *slog.Logger, opts Options) (*Index, error) {
	return open(ctx, dir, logger, opts, true)
}

func open(ctx context.Context, dir string, logger *slog.Logger, opts Options, readOnly bool) (*Index, error) {
	if opts.Source == nil {
		return nil, errors.New("open index: options need a source")
	}
	opts.defaults()
	x := &Index{dir: dir, logger: logger, opts: opts, readOnly: readOnly, notify: make(chan struct{}, 1),
		facets: newFacetCache()}
	name, err := readCurrent(dir)
	if err != nil && readOnly {
		return nil, err
	}
	if name != "" {
		idx, err := x.openBleve(name)
		switch {
		case err == nil:
			x.idx, x.name = idx, name
		case readOnly || anliegen.ErrorCode(err) == anliegen.EConflict:
			return nil, err
		default:
			// The index is derived (invariant 3): start a new one, which
			// Run rebuilds from the store.
			logger.ErrorContext(ctx, "search index unusable, starting a new one", "index", name, "err", err)
		}
	} else if err != nil {
		logger.ErrorContext(ctx, "search index pointer unusable, starting a new index", "err", err)
	}
	if x.idx == nil {
		if readOnly {
			return nil, anliegen.Errorf(anliegen.ENotFound, "no search index in %s", dir)
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("create index dir: %w", err)
		}
		idx, name, err := x.create()
		if err != nil {
			return nil, err
		}
		if err := writeCurrent(dir, name); err != nil {
			_ = idx.Close()
			return nil, err
		}
		x.idx, x.name = idx, name
	}
	a, err := newAnalyzer(x.idx)
	if err != nil {
		_ = x.idx.Close()
		return nil, err
	}
	x.an = a
	if !readOnly {
		x.removeStale()
	}
	logger.DebugContext(ctx, "search index open", "dir", dir, "index", x.name, "read_only", readOnly)
	return x, nil
}

// create makes a new, empty bleve index in a fresh directory.
func (x *Index) create() (bleve.Index, string, error) {
	m, err := newMapping()
	if err != nil {
		return nil, "", err
	}
	name := "index-" + strings.ReplaceAll(time.Now().UTC().Format("20060102T150405.000000000"), ".", "")
	idx, err := bleve.NewUsing(filepath.Join(x.dir, name), m, bleve.Config.DefaultIndexType,
		bleve.Config.DefaultKVStore, x.runtimeConfig())
	if err != nil {
		return nil, "", fmt.Errorf("create index: %w", lockError(err))
	}
	if err := idx.SetInternal(keyVersion, []byte(mappingVersion)); err != nil {
		_ = idx.Close()
		return nil, "", fmt.Errorf("create index: %w", err)
	}
	return idx, name, nil
}

func (x *Index) openBleve(name string) (bleve.Index, error) {
	idx, err := bleve.OpenUsing(filepath.Join(x.dir, name), x.runtimeConfig())
	if err != nil {
		return nil, fmt.Errorf("open index: %w", lockError(err))
	}
	return idx, nil
}

// runtimeConfig configures scorch. Batches stay safe (Batch returns once
// they are on disk): unsafe batches let a fast producer pile up unpersisted
// segments, and a rebuild of 100,000 messages peaked at 630 MB of heap.
func (x *Index) runtimeConfig() map[string]any {
	return map[string]any{
		"read_only":    x.readOnly,
		"bolt_timeout": x.opts.LockTimeout.String(),
	}
}

// lockError turns bolt's lock timeout into the error callers can act on.
func lockError(err error) error {
	if errors.Is(err, bolterrors.ErrTimeout) {
		return &anliegen.Error{Code: anliegen.EConflict, Message: "index is in use by a running server", Err: err}
	}
	return err
}

func newAnalyzer(idx bleve.Index) (analyzer, error) {
	a, err := newGermanAnalyzer(idx.Mapping())
	if err != nil {
		return analyzer{}, fmt.Errorf("open index: %w", err)
	}
	return analyzer{a: a}, nil
}

// removeStale deletes index directories that CURRENT does not name: the
// old index after a crash during a swap, or a rebuild that did not finish.
func (x *Index) removeStale() {
	entries, err := os.ReadDir(x.dir)
	if err != nil {
		x.logger.Warn("list index dir", "dir", x.dir, "err", err)
		return
	}
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(e.Name(), "index-") && e.Name() != x.name {
			if err := os.RemoveAll(filepath.Join(x.dir, e.Name())); err != nil {
				x.logger.Warn("remove stale index", "index", e.Name(), "err", err)
			}
		}
	}
}

// Close closes the index. Run must have returned.
func (x *Index) Close() error {
	x.writeMu.Lock()
	defer x.writeMu.Unlock()
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.idx == nil {
		return nil
	}
	err := x.idx.Close()
	x.idx = nil
	if err != nil {
		return fmt.Errorf("close index: %w", err)
	}
	return nil
}

// DocCount returns the number of indexed messages.
func (x *Index) DocCount() (uint64, error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.idx == nil {
		return 0, errClosed
	}
	n, err := x.idx.DocCount()
	if err != nil {
		return 0, fmt.Errorf("count documents: %w", err)
	}
	return n, nil
}

var errClosed = errors.New("search index is closed")

// Checkpoint returns the ID of the last event the index reflects.
func (x *Index) Checkpoint() (int64, error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.idx == nil {
		return 0, errClosed
	}
	return checkpoint(x.idx)
}

func checkpoint(idx bleve.Index) (int64, error) {
	v, err := idx.GetInternal(keyCheckpoint)
	if err != nil {
		return 0, fmt.Errorf("read checkpoint: %w", err)
	}
	if len(v) == 0 {
		return 0, nil
	}
	n, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("read checkpoint: %w", err)
	}
	return n, nil
}

// IndexLag returns how many events the index is behind the store.
func (x *Index) IndexLag(ctx context.Context) (int64, error) {
	last, err := x.opts.Source.LastEventID(ctx)
	if err != nil {
		return 0, fmt.Errorf("index lag: %w", err)
	}
	cp, err := x.Checkpoint()
	if err != nil {
		return 0, err
	}
	return max(0, last-cp), nil
}

// readCurrent returns the directory name in dir/CURRENT, "" when there is
// no index yet.
func readCurrent(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, currentFile))
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read index pointer: %w", err)
	}
	name := strings.TrimSpace(string(b))
	if !strings.HasPrefix(name, "index-") || strings.ContainsAny(name, `/\`) {
		return "", fmt.Errorf("read index pointer: bad name %q", name)
	}
	return name, nil
}

// writeCurrent points dir/CURRENT at name atomically (write and rename).
func writeCurrent(dir, name string) error {
	tmp := filepath.Join(dir, currentFile+".tmp")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("write index pointer: %w", err)
	}
	_, err = f.WriteString(name + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dir, currentFile))
	}
	if err != nil {
		return fmt.Errorf("write index pointer: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}
