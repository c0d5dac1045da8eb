package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/anliegen/anliegen"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
	sqlite3 "modernc.org/sqlite/lib"
)

// FileName is the database file inside the data directory.
const FileName = "anliegen.db"

// checkpointEvery is how often the WAL is folded back into the database
// file. SQLite's automatic checkpoint runs inside the commit that crosses
// the threshold, so one ingest in a few hundred paid for copying and
// syncing megabytes (the p99 latency). A passive checkpoint on a
// connection of its own runs beside the writer instead; the writer's
// automatic checkpoint stays as a backstop at 10,000 pages (40 MB).
const checkpointEvery = 2 * time.Second

// DB is the ticket store. It is safe for concurrent use.
type DB struct {
	w      *sql.DB // one connection: SQLite allows one writer at a time
	r      *sql.DB // reader pool
	path   string
	logger *slog.Logger
	// now is the clock; tests replace it.
	now func() time.Time
	// argon is the password hashing cost; zero means defaultArgon. Tests
	// lower it (user_password.go).
	argon argonParams
	// minPassword overrides minPasswordLen when positive (the demo's
	// users have the short password "demo"); see SetMinPasswordLength.
	minPassword int

	routerMu       sync.Mutex
	router         *routerCache
	sanitizer      *sanitizer
	stopCheckpoint context.CancelFunc
	checkpointDone chan struct{}
	ckpt           *sql.DB // one connection for the periodic checkpoint
	// bulk holds the multi-row INSERTs of ingest, prepared once on the
	// writer (prepareBulk).
	bulk map[string]*sql.Stmt

	// importBatch overrides the records per import transaction (tests).
	importBatch int

	// failAfter, when set by a test, makes ingest fail after that many
	// stored messages, to prove the transaction leaves nothing behind.
	failAfter func(stored int) error
}

// pragmas are applied to every pooled connection. busy_timeout comes first
// so that the following pragmas already wait for a busy file instead of
// failing (and the driver runs it first whatever the order).
const pragmas = "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_pragma=cache_size(-32000)&_pragma=temp_store(MEMORY)"

// Open opens (creating if needed) dir/anliegen.db and applies pending
// migrations. Close releases it.
func Open(ctx context.Context, dir string, logger *slog.Logger) (*DB, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	path := filepath.Join(dir, FileName)
	if strings.ContainsAny(path, "?#") {
		return nil, anliegen.Invalid("data", "the data directory path must not contain ? or #")
	}
	db := &DB{path: path, logger: logger, now: time.Now, router: &routerCache{}, sanitizer: newSanitizer()}
	var err error
	// _txlock=immediate makes every transaction take the write lock at
	// BEGIN: a deferred one that reads first and then writes could fail
	// with SQLITE_BUSY when another process wrote in between, and
	// busy_timeout cannot help with that upgrade.
	db.w, err = sql.Open("sqlite", path+"?"+pragmas+"&_pragma=wal_autocheckpoint(10000)&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open writer: %w", err)
	}
	db.w.SetMaxOpenConns(1)
	db.w.SetMaxIdleConns(1)
	db.w.SetConnMaxLifetime(0)
	if err := db.migrate(ctx, -1); err != nil {
		db.w.Close()
		return nil, err
	}
	if err := db.prepareBulk(ctx); err != nil {
		db.w.Close()
		return nil, err
	}
	db.r, err = sql.Open("sqlite", path+"?"+pragmas+"&_pragma=query_only(1)")
	if err != nil {
		db.w.Close()
		return nil, fmt.Errorf("open readers: %w", err)
	}
	db.r.SetMaxOpenConns(8)
	db.r.SetMaxIdleConns(8)
	if err := db.r.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open readers: %w", err)
	}
	db.ckpt, err = sql.Open("sqlite", path+"?"+pragmas)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open checkpointer: %w", err)
	}
	db.ckpt.SetMaxOpenConns(1)
	cctx, cancel := context.WithCancel(context.Background())
	db.stopCheckpoint = cancel
	db.checkpointDone = make(chan struct{})
	go db.checkpointLoop(cctx)
	return db, nil
}

// Close stops the checkpoint goroutine and closes all connections.
func (db *DB) Close() error {
	if db.stopCheckpoint != nil {
		db.stopCheckpoint()
		<-db.checkpointDone
		db.stopCheckpoint = nil
	}
	var errs []error
	if db.r != nil {
		errs = append(errs, db.r.Close())
	}
	if db.ckpt != nil {
		errs = append(errs, db.ckpt.Close())
	}
	for _, st := range db.bulk {
		errs = append(errs, st.Close())
	}
	// A final checkpoint truncates the WAL so the file is whole on its own.
	if _, err := db.w.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		db.logger.Warn("final checkpoint", "err", err)
	}
	errs = append(errs, db.w.Close())
	return errors.Join(errs...)
}

// Path returns the database file's path.
func (db *DB) Path() string { return db.path }

func (db *DB) checkpointLoop(ctx context.Context) {
	defer close(db.checkpointDone)
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, _, err := db.checkpoint(ctx); err != nil && ctx.Err() == nil {
				db.logger.Warn("wal checkpoint", "err", err)
			}
		}
	}
}

// checkpoint copies committed WAL frames into the database file without
// waiting for readers or the writer, and returns the WAL's size and how
// much of it is now in the file (both in frames).
func (db *DB) checkpoint(ctx context.Context) (walFrames, done int, err error) {
	var busy int
	err = db.ckpt.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &walFrames, &done)
	return walFrames, done, err
}

// write runs fn in one BEGIN IMMEDIATE transaction on the writer
// connection and commits when fn returns nil.
func (db *DB) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		// A cancelled context closes the transaction under fn, which then
		// fails with "statement is closed": name the real cause.
		if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
			err = fmt.Errorf("%w: %w", cerr, err)
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// beginAttempts is how often BEGIN IMMEDIATE is tried when another
// process holds the write lock past busy_timeout. SQLite's busy handler is
// not a queue: a process that commits and begins again at once (a bulk
// import, a backfill) can keep winning; retrying BEGIN, which has done no
// work yet, lets the waiter outlast it instead of failing.
const beginAttempts = 3

func (db *DB) begin(ctx context.Context) (*sql.Tx, error) {
	for attempt := 1; ; attempt++ {
		tx, err := db.w.BeginTx(ctx, nil)
		if err == nil || attempt == beginAttempts || sqliteCode(err)&0xff != sqlite3.SQLITE_BUSY || ctx.Err() != nil {
			return tx, err
		}
		db.logger.Warn("write lock busy, retrying", "attempt", attempt)
	}
}

// read returns the reader pool. Readers see the last committed state
// (WAL snapshot isolation) and never block the writer.
func (db *DB) read() *sql.DB { return db.r }
