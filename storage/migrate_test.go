package storage

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/anliegen/anliegen"
)

// A fixture file testdata/migrations/NNNN.sql, when present, fills a
// database at version NNNN with rows, so that the step to the next
// versions is tested with data in it. New migrations need no change here:
// every version from 0 to the latest is tested automatically.

func TestMigrationsNumbered(t *testing.T) {
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) == 0 || ms[0].version != 1 {
		t.Fatalf("migrations = %v", ms)
	}
}

func TestMigrateFromEveryVersion(t *testing.T) {
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	latest := len(ms)
	want := schemaOf(t, mustOpen(t))
	// from == latest opens a current file with the fixtures in it.
	for from := 0; from <= latest; from++ {
		t.Run(fmt.Sprintf("from_%04d", from), func(t *testing.T) {
			dir := t.TempDir()
			ctx := context.Background()
			old := &DB{path: filepath.Join(dir, FileName), logger: slog.New(slog.DiscardHandler), now: time.Now, router: &routerCache{}, sanitizer: newSanitizer()}
			old.w, err = sql.Open("sqlite", old.path+"?"+pragmas+"&_txlock=immediate")
			if err != nil {
				t.Fatal(err)
			}
			if err := old.migrate(ctx, from); err != nil {
				t.Fatalf("migrate to %d: %v", from, err)
			}
			loadFixtures(t, old.w, from)
			old.w.Close()

			db := mustOpenDir(t, dir)
			v, err := db.SchemaVersion(ctx)
			if err != nil || v != latest {
				t.Fatalf("version after open = %d, %v; want %d", v, err, latest)
			}
			if got := schemaOf(t, db); got != want {
				t.Errorf("schema migrated from %d differs from a fresh one:\n%s\nwant:\n%s", from, got, want)
			}
			var fk int
			if err := db.read().QueryRowContext(ctx, `SELECT count(*) FROM pragma_foreign_key_check`).Scan(&fk); err != nil || fk != 0 {
				t.Errorf("foreign key violations after migration: %d, %v", fk, err)
			}
		})
	}
}

// A ticket from before migration 0004 keeps its preview: the copy of the
// text stays its preview until an inbound message names a new one.
func TestPreviewAcrossMigration4(t *testing.T) {
	dir := t.TempDir()
	old := &DB{path: filepath.Join(dir, FileName), logger: slog.New(slog.DiscardHandler), now: time.Now, router: &routerCache{}, sanitizer: newSanitizer()}
	var err error
	old.w, err = sql.Open("sqlite", old.path+"?"+pragmas+"&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	if err := old.migrate(context.Background(), 3); err != nil {
		t.Fatal(err)
	}
	loadFixtures(t, old.w, 3)
	old.w.Close()
	db := mustOpenDir(t, dir)
	tk, err := db.Ticket(context.Background(), 1)
	if err != nil || tk.Preview != "Die Kastanie hat einen Riss." {
		t.Fatalf("preview after migration = %q, %v", tk.Preview, err)
	}
	// An edit of the message behind a copied preview updates the copy.
	res := mustIngest(t, db, 1, []anliegen.Item{dm("m1", "109", "Die Kastanie hat einen großen Riss.", t0)}, "")
	if res.Updated != 1 {
		t.Fatalf("edit: %+v", res)
	}
	if tk, _ = db.Ticket(context.Background(), 1); tk.Preview != "Die Kastanie hat einen großen Riss." {
		t.Errorf("preview after edit = %q", tk.Preview)
	}
	// A newer inbound message becomes the preview by reference.
	next := dm("m2", "109", "Und ein Ast liegt auf dem Weg.", time.UnixMilli(1764000000000).Add(time.Hour))
	next.ThreadID = "c1"
	if res := mustIngest(t, db, 1, []anliegen.Item{next}, ""); res.Tickets != 0 {
		t.Fatalf("new message started a ticket: %+v", res)
	}
	if tk, _ = db.Ticket(context.Background(), 1); tk.Preview != "Und ein Ast liegt auf dem Weg." {
		t.Errorf("preview after new message = %q", tk.Preview)
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	dir := t.TempDir()
	db := mustOpenDir(t, dir)
	if _, err := db.w.Exec(`INSERT INTO schema_migrations(version, name, applied_at) VALUES (9999, 'future', 0)`); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(context.Background(), dir, nil); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("open of a newer schema: %v", err)
	}
}

func TestReopenIsIdempotent(t *testing.T) {
	dir := t.TempDir()
	a := mustOpenDir(t, dir)
	b := mustOpenDir(t, dir)
	va, _ := a.SchemaVersion(context.Background())
	vb, _ := b.SchemaVersion(context.Background())
	if va != vb || va == 0 {
		t.Errorf("versions %d, %d", va, vb)
	}
}

func loadFixtures(t *testing.T, w *sql.DB, upTo int) {
	t.Helper()
	for v := 1; v <= upTo; v++ {
		b, err := os.ReadFile(filepath.Join("testdata", "migrations", fmt.Sprintf("%04d.sql", v)))
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Exec(string(b)); err != nil {
			t.Fatalf("fixture %d: %v", v, err)
		}
	}
}

// schemaOf returns the schema's SQL, sorted, for comparing databases.
func schemaOf(t *testing.T, db *DB) string {
	t.Helper()
	rows, err := db.read().Query(`SELECT type, name, coalesce(sql, '') FROM sqlite_schema
		WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var typ, name, sqlText string
		if err := rows.Scan(&typ, &name, &sqlText); err != nil {
			t.Fatal(err)
		}
		b.WriteString(typ + " " + name + ": " + sqlText + "\n")
	}
	return b.String()
}

func TestTicketTagsMirror(t *testing.T) {
	db := mustOpen(t)
	loadFixtures(t, db.w, 1)
	tags := func() string {
		var s string
		if err := db.read().QueryRow(`SELECT coalesce(group_concat(tag, ','), '') FROM (SELECT tag FROM ticket_tags WHERE ticket_id = 1 ORDER BY tag)`).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	if got := tags(); got != "baum,gefahr" {
		t.Errorf("after insert: %q", got)
	}
	if _, err := db.w.Exec(`UPDATE tickets SET tags = '["laerm"]' WHERE id = 1`); err != nil {
		t.Fatal(err)
	}
	if got := tags(); got != "laerm" {
		t.Errorf("after update: %q", got)
	}
	if _, err := db.w.Exec(`DELETE FROM tickets WHERE id = 1`); err != nil {
		t.Fatal(err)
	}
	if got := tags(); got != "" {
		t.Errorf("after delete: %q", got)
	}
}
