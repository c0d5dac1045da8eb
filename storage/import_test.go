package storage

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/anliegen/anliegen"
)

func readHistoryFile(tb testing.TB, path string) []HistoryRecord {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var recs []HistoryRecord
	if err := ReadHistory(f, func(n int, rec HistoryRecord, err error) error {
		if err != nil {
			tb.Fatalf("line %d: %v", n, err)
		}
		recs = append(recs, rec)
		return nil
	}); err != nil {
		tb.Fatal(err)
	}
	return recs
}

func TestImportTestdataTwice(t *testing.T) {
	db := mustOpen(t)
	ctx := context.Background()
	recs := readHistoryFile(t, "../testdata/inquiries-dev.jsonl")
	if len(recs) != 400 {
		t.Fatalf("%d records", len(recs))
	}
	answers := 0
	for _, r := range recs {
		if strings.TrimSpace(r.Answer) != "" {
			answers++
		}
	}
	res, err := db.ImportHistory(ctx, recs)
	if err != nil {
		t.Fatal(err)
	}
	if res.Imported != 400 || res.Messages != 400+answers || res.Duplicates != 0 || res.Skipped != 0 {
		t.Fatalf("first import: %+v", res)
	}
	res, err = db.ImportHistory(ctx, recs)
	if err != nil || res.Imported != 0 || res.Duplicates != 400 {
		t.Fatalf("second import: %+v, %v", res, err)
	}
	for q, want := range map[string]int{
		`SELECT count(*) FROM tickets`: 400,
		`SELECT count(*) FROM tickets WHERE status = 'resolved' AND resolved_at IS NOT NULL`: 400,
		`SELECT count(*) FROM messages WHERE direction = 'in'`:                               400,
		`SELECT count(*) FROM messages WHERE direction = 'out' AND delivery_state = 'sent'`:  answers,
		`SELECT count(*) FROM tickets WHERE first_response_at IS NOT NULL`:                   answers,
		`SELECT count(*) FROM channels WHERE hidden AND NOT enabled`:                         9,  // platforms in the file
		`SELECT count(DISTINCT created_at / 86400000) FROM tickets`:                          25, // spread over days (at least)
	} {
		got := countRows(t, db, q)
		if strings.Contains(q, "DISTINCT created_at") {
			if got < want {
				t.Errorf("%s = %d, want >= %d", q, got, want)
			}
			continue
		}
		if got != want {
			t.Errorf("%s = %d, want %d", q, got, want)
		}
	}
	// Fields as given, for one known line.
	r := recs[0]
	var dept, prio, tags, platform, kind, text string
	if err := db.read().QueryRow(`SELECT t.department, t.priority, t.tags, t.platform, t.kind, m.text FROM messages m
		JOIN tickets t ON t.id = m.ticket_id WHERE m.external_id = ?`, r.ID).Scan(&dept, &prio, &tags, &platform, &kind, &text); err != nil {
		t.Fatal(err)
	}
	if dept != r.Department || prio != string(r.Priority) || tags != jsonArray(r.Tags) || platform != string(r.Platform) || kind != string(r.Kind) || text != r.Text {
		t.Errorf("record %s stored as %s %s %s %s %s", r.ID, dept, prio, tags, platform, kind)
	}
	chs, err := db.Channels(ctx)
	if err != nil || len(chs) != 0 {
		t.Errorf("import channels listed: %v, %v", chs, err)
	}
	if n := countRows(t, db, `SELECT count(*) FROM departments`); n == 0 {
		t.Error("departments not created")
	}
	// Answers come after questions and never in the future.
	if n := countRows(t, db, `SELECT count(*) FROM tickets WHERE resolved_at < created_at OR resolved_at > ?`, unixMS(time.Now())); n != 0 {
		t.Errorf("%d tickets answered before asked or in the future", n)
	}
}

func TestImportBadLines(t *testing.T) {
	db := mustOpen(t)
	in := strings.Join([]string{
		`{"id": "h1", "platform": "facebook", "kind": "comment", "author": "Anna", "text": "Frage 1", "department": "abfall", "priority": "high", "tags": ["a"], "answer": "Antwort", "lang": "de"}`,
		`{"id": "h2", "platform": "facebook", "kind": "comment", "author": "Anna", "text": ""}`,
		`{broken`,
		`{"id": "h3", "platform": "telegram", "kind": "dm", "author": "@bert", "text": "Frage 3", "created_at": "2025-12-24T18:00:00+01:00", "answer": ""}`,
		`{"id": "h4", "platform": "x", "kind": "dm", "author": "C", "text": "t", "tags": ["a,b"]}`,
	}, "\n")
	var recs []HistoryRecord
	bad := map[int]string{}
	if err := ReadHistory(strings.NewReader(in), func(n int, rec HistoryRecord, err error) error {
		if err != nil {
			bad[n] = err.Error()
			return nil
		}
		recs = append(recs, rec)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(bad) != 3 || bad[2] == "" || bad[3] == "" || bad[5] == "" {
		t.Errorf("bad lines %v", bad)
	}
	res, err := db.ImportHistory(context.Background(), recs)
	if err != nil || res.Imported != 2 || res.Messages != 3 {
		t.Fatalf("import: %+v, %v", res, err)
	}
	var created int64
	db.read().QueryRow(`SELECT created_at FROM tickets WHERE platform = 'telegram'`).Scan(&created)
	if !timeMS(created).Equal(time.Date(2025, 12, 24, 17, 0, 0, 0, time.UTC)) {
		t.Errorf("created_at %v", timeMS(created))
	}
	// Records handed over directly are validated too.
	res, err = db.ImportHistory(context.Background(), []HistoryRecord{{ID: "z", Platform: "nope", Kind: anliegen.KindDM, Text: "x"}})
	if err != nil || res.Skipped != 1 {
		t.Errorf("invalid record: %+v, %v", res, err)
	}
}

// TestImportWhileIngesting runs "anliegen import" and the server's poller
// as two processes on one file: both write tickets (and draw ticket
// numbers from the same sequence) at once, and neither fails.
func TestImportWhileIngesting(t *testing.T) {
	dir := t.TempDir()
	server, importer := mustOpenDir(t, dir), mustOpenDir(t, dir)
	// Small batches keep each lock short under -race, which slows SQLite
	// tenfold; the pause between batches is what the test is about.
	importer.importBatch = 100
	ctx := context.Background()
	ch := newChannel(t, server, anliegen.PlatformMastodon)
	recs := benchRecords(t, 600)
	items := backfillItems(600, "live")
	errs := make(chan error, 2)
	go func() {
		_, err := importer.ImportHistory(ctx, recs)
		errs <- err
	}()
	go func() {
		for i := 0; i < len(items); i += 50 {
			if _, err := server.Ingest(ctx, ch, items[i:i+50], ""); err != nil {
				errs <- err
				return
			}
			time.Sleep(5 * time.Millisecond) // a poller fetches between pages
		}
		errs <- nil
	}()
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	imported := countRows(t, server, `SELECT count(*) FROM messages WHERE channel_id <> ? AND direction = 'in'`, ch)
	live := countRows(t, server, `SELECT count(*) FROM messages WHERE channel_id = ?`, ch)
	if imported != 600 || live != 600 {
		t.Errorf("%d imported, %d ingested", imported, live)
	}
	if n, d := countRows(t, server, `SELECT count(*) FROM tickets`), countRows(t, server, `SELECT count(DISTINCT number) FROM tickets`); n != d {
		t.Errorf("%d tickets with %d numbers", n, d)
	}
}
