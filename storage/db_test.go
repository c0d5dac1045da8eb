package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"

	"github.com/anliegen/anliegen"
)

// mustOpen opens a store in a fresh temporary directory and closes it at
// the end of the test.
func mustOpen(tb testing.TB) *DB {
	tb.Helper()
	return mustOpenDir(tb, tb.TempDir())
}

func mustOpenDir(tb testing.TB, dir string) *DB {
	tb.Helper()
	db, err := Open(context.Background(), dir, slog.New(slog.DiscardHandler))
	if err != nil {
		tb.Fatalf("open: %v", err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Errorf("close: %v", err)
		}
	})
	return db
}

func TestOpenPragmas(t *testing.T) {
	db := mustOpen(t)
	ctx := context.Background()
	for _, c := range []struct {
		db     *sql.DB
		pragma string
		want   string
	}{
		{db.w, "journal_mode", "wal"},
		{db.w, "foreign_keys", "1"},
		{db.w, "busy_timeout", "10000"},
		{db.w, "synchronous", "1"},
		{db.w, "wal_autocheckpoint", "10000"},
		{db.r, "busy_timeout", "10000"},
		{db.r, "query_only", "1"},
		{db.r, "foreign_keys", "1"},
	} {
		var got string
		if err := c.db.QueryRowContext(ctx, "PRAGMA "+c.pragma).Scan(&got); err != nil {
			t.Fatalf("%s: %v", c.pragma, err)
		}
		if got != c.want {
			t.Errorf("PRAGMA %s = %q, want %q", c.pragma, got, c.want)
		}
	}
	if _, err := db.r.ExecContext(ctx, `INSERT INTO meta(key, value) VALUES ('x', 'y')`); err == nil {
		t.Error("reader pool accepted a write")
	}
	if got := filepath.Base(db.Path()); got != FileName {
		t.Errorf("file %q, want %q", got, FileName)
	}
}

func TestWriteRollsBack(t *testing.T) {
	db := mustOpen(t)
	ctx := context.Background()
	boom := errors.New("boom")
	err := db.write(ctx, func(tx *sql.Tx) error {
		if err := metaSet(ctx, tx, "k", "v"); err != nil {
			return err
		}
		if _, err := db.appendEvent(ctx, tx, anliegen.Event{Type: anliegen.EventTicketUpdated}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("write = %v, want boom", err)
	}
	if v, _ := metaGet(ctx, db.read(), "k"); v != "" {
		t.Errorf("meta k = %q after rollback", v)
	}
	if id, _ := db.LastEventID(ctx); id != 0 {
		t.Errorf("last event %d after rollback", id)
	}
}

func TestEvents(t *testing.T) {
	db := mustOpen(t)
	ctx := context.Background()
	var ids []int64
	err := db.write(ctx, func(tx *sql.Tx) error {
		for i := range 5 {
			id, err := db.appendEvent(ctx, tx, anliegen.Event{
				Type: anliegen.EventTicketUpdated, TicketID: int64(i + 1), Department: "abfall",
				Data: eventData(map[string]int{"i": i}),
			})
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	last, err := db.LastEventID(ctx)
	if err != nil || last != ids[4] {
		t.Fatalf("LastEventID = %d, %v; want %d", last, err, ids[4])
	}
	evs, err := db.EventsAfter(ctx, ids[1], 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 || evs[0].ID != ids[2] || evs[1].ID != ids[3] {
		t.Fatalf("EventsAfter = %+v", evs)
	}
	if evs[0].TicketID != 3 || evs[0].Department != "abfall" || string(evs[0].Data) != `{"i":2}` || evs[0].CreatedAt.IsZero() {
		t.Errorf("event round trip: %+v", evs[0])
	}
	// AUTOINCREMENT: ids are not reused after the newest rows are deleted.
	if _, err := db.w.ExecContext(ctx, `DELETE FROM events WHERE id = ?`, ids[4]); err != nil {
		t.Fatal(err)
	}
	var next int64
	err = db.write(ctx, func(tx *sql.Tx) (err error) {
		next, err = db.appendEvent(ctx, tx, anliegen.Event{Type: anliegen.EventTicketUpdated})
		return err
	})
	if err != nil || next <= ids[4] {
		t.Errorf("event id after delete = %d, %v; want > %d", next, err, ids[4])
	}
}

func TestDBError(t *testing.T) {
	db := mustOpen(t)
	ctx := context.Background()
	err := db.read().QueryRowContext(ctx, `SELECT id FROM tickets WHERE id = 1`).Scan(new(int64))
	if c := anliegen.ErrorCode(dbError(err, "ticket")); c != anliegen.ENotFound {
		t.Errorf("no rows: code %q", c)
	}
	insert := func() error {
		return db.write(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO contacts(id, name, created_at) VALUES (1, 'x', 0)`)
			return err
		})
	}
	if err := insert(); err != nil {
		t.Fatal(err)
	}
	if c := anliegen.ErrorCode(dbError(insert(), "contact")); c != anliegen.EConflict {
		t.Errorf("duplicate: code %q", c)
	}
	err = db.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO identities(contact_id, platform, external_id, created_at) VALUES (99, 'x', 'y', 0)`)
		return err
	})
	if c := anliegen.ErrorCode(dbError(err, "identity")); c != anliegen.EInvalid {
		t.Errorf("foreign key: code %q (%v)", c, err)
	}
	if dbError(nil, "x") != nil {
		t.Error("dbError(nil) != nil")
	}
}

func TestMetaIncr(t *testing.T) {
	db := mustOpen(t)
	ctx := context.Background()
	for want := int64(1); want <= 3; want++ {
		var got int64
		err := db.write(ctx, func(tx *sql.Tx) (err error) {
			got, err = metaIncr(ctx, tx, "counter")
			return err
		})
		if err != nil || got != want {
			t.Fatalf("metaIncr = %d, %v; want %d", got, err, want)
		}
	}
}

// TestTwoProcesses opens the same file twice, as two processes would (the
// server and "anliegen import"), and writes from both at once: busy_timeout
// and BEGIN IMMEDIATE must make them wait for each other, never fail.
func TestTwoProcesses(t *testing.T) {
	dir := t.TempDir()
	a, b := mustOpenDir(t, dir), mustOpenDir(t, dir)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for i, db := range []*DB{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 200 {
				err := db.write(ctx, func(tx *sql.Tx) error {
					// Read then write: the pattern that fails with
					// SQLITE_BUSY under deferred transactions.
					if _, err := metaIncr(ctx, tx, "shared"); err != nil {
						return err
					}
					return metaSet(ctx, tx, fmt.Sprintf("p%d-%d", i, j), "x")
				})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent write: %v", err)
	}
	v, err := metaGet(ctx, a.read(), "shared")
	if err != nil || v != "400" {
		t.Errorf("shared counter = %q, %v; want 400", v, err)
	}
}

func TestCheckpoint(t *testing.T) {
	db := mustOpen(t)
	ctx := context.Background()
	for i := range 50 {
		if err := db.write(ctx, func(tx *sql.Tx) error { return metaSet(ctx, tx, fmt.Sprint("k", i), "v") }); err != nil {
			t.Fatal(err)
		}
	}
	wal, done, err := db.checkpoint(ctx)
	if err != nil || wal == 0 || done != wal {
		t.Errorf("checkpoint: wal %d frames, %d copied, %v", wal, done, err)
	}
}
