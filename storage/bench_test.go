package storage

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/anliegen/anliegen"
)

// Benchmarks of the write paths. Results and the command are in
// docs/BENCHMARKS.md ("## Store"). Each compares itself with a plain
// batched INSERT of the same rows into a minimal table on the same
// machine in the same run, so the ratio says what the store's work
// (dedup, threading, contacts, events, indexes) costs.

// benchRecords returns n history records made from the test inquiries,
// with unique ids.
func benchRecords(tb testing.TB, n int) []HistoryRecord {
	tb.Helper()
	base := readHistoryFile(tb, "../testdata/inquiries-dev.jsonl")
	out := make([]HistoryRecord, n)
	for i := range out {
		r := base[i%len(base)]
		r.ID = fmt.Sprintf("%s-%d", r.ID, i)
		r.Author = fmt.Sprintf("%s %d", r.Author, i%5000)
		out[i] = r
	}
	return out
}

// span is wall and CPU time of a measured stretch.
type span struct{ wall, cpu time.Duration }

func measure(fn func()) span {
	w, c := time.Now(), cpuTime()
	fn()
	return span{time.Since(w), cpuTime() - c}
}

func (s *span) add(o span) { s.wall += o.wall; s.cpu += o.cpu }

// report writes messages per wall second and per CPU second, for the
// store and the baseline, and the store's cost relative to the baseline.
func report(b *testing.B, msgs int, store, plain span) {
	b.ReportMetric(float64(msgs)/store.wall.Seconds(), "msgs/s")
	b.ReportMetric(float64(msgs)/plain.wall.Seconds(), "plain_msgs/s")
	if store.cpu > 0 && plain.cpu > 0 {
		b.ReportMetric(float64(msgs)/store.cpu.Seconds(), "msgs/cpu_s")
		b.ReportMetric(float64(msgs)/plain.cpu.Seconds(), "plain_msgs/cpu_s")
		b.ReportMetric(store.cpu.Seconds()/plain.cpu.Seconds(), "x_plain_cpu")
	}
	b.ReportMetric(store.wall.Seconds()/plain.wall.Seconds(), "x_plain_wall")
}

// plainInsert is the baseline: the same texts, batched per transaction,
// into a table with a primary key and the (channel, external id) unique
// index only.
func plainInsert(tb testing.TB, dir string, rows [][2]string, batch int) span {
	tb.Helper()
	db, err := sql.Open("sqlite", filepath.Join(dir, "plain.db")+"?"+pragmas+"&_txlock=immediate")
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(`CREATE TABLE m (id INTEGER PRIMARY KEY, channel_id INTEGER NOT NULL, external_id TEXT NOT NULL, text TEXT NOT NULL, created_at INTEGER NOT NULL);
		CREATE UNIQUE INDEX m_ext ON m(channel_id, external_id)`); err != nil {
		tb.Fatal(err)
	}
	w, c := time.Now(), cpuTime()
	for len(rows) > 0 {
		n := min(batch, len(rows))
		tx, err := db.Begin()
		if err != nil {
			tb.Fatal(err)
		}
		st, err := tx.Prepare(`INSERT INTO m(channel_id, external_id, text, created_at) VALUES (1, ?, ?, ?)`)
		if err != nil {
			tb.Fatal(err)
		}
		for _, r := range rows[:n] {
			if _, err := st.Exec(r[0], r[1], 1764000000000); err != nil {
				tb.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			tb.Fatal(err)
		}
		rows = rows[n:]
	}
	return span{time.Since(w), cpuTime() - c}
}

// BenchmarkImport imports 10,000 history records (about 19,000 messages)
// per iteration into a fresh store.
func BenchmarkImport(b *testing.B) {
	recs := benchRecords(b, 10000)
	var rows [][2]string
	for _, r := range recs {
		rows = append(rows, [2]string{r.ID, r.Text})
		if r.Answer != "" {
			rows = append(rows, [2]string{r.ID + "/a", r.Answer})
		}
	}
	var msgs int
	var store, plain span
	for b.Loop() {
		b.StopTimer()
		dir := b.TempDir()
		db, err := Open(context.Background(), dir, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		var res ImportResult
		store.add(measure(func() { res, err = db.ImportHistory(context.Background(), recs) }))
		b.StopTimer()
		if err != nil || res.Imported != len(recs) {
			b.Fatalf("import: %+v, %v", res, err)
		}
		msgs += res.Messages
		db.Close()
		plain.add(plainInsert(b, dir, rows, importBatch))
		b.StartTimer()
	}
	report(b, msgs, store, plain)
}

// backfillItems returns n items as a connector's backfill delivers them:
// DMs and comments of n/4 citizens, several per thread.
func backfillItems(n int, prefix string) []anliegen.Item {
	texts := []string{"Wann wird der Sperrmüll in der Lindenstraße abgeholt?",
		"Die Straßenlaterne vor Hausnummer 12 ist seit einer Woche defekt.",
		"Wo kann ich meinen Personalausweis verlängern und brauche ich einen Termin?",
		"Danke für die schnelle Antwort! Eine Frage noch: gilt das auch am Samstag?"}
	items := make([]anliegen.Item, n)
	for i := range items {
		author := strconv.Itoa(i % (n/4 + 1))
		it := anliegen.Item{ExternalID: prefix + strconv.Itoa(i), Author: anliegen.Author{ExternalID: "u" + author, Handle: "@b" + author},
			Text: texts[i%len(texts)], CreatedAt: t0.Add(time.Duration(i) * time.Second)}
		if i%2 == 0 {
			it.Kind, it.ThreadID = anliegen.KindDM, "conv"+author
		} else {
			it.Kind, it.ThreadID, it.ParentID = anliegen.KindComment, "post"+strconv.Itoa(i%50), "post"+strconv.Itoa(i%50)
		}
		items[i] = it
	}
	return items
}

// BenchmarkIngestBackfill ingests 20,000 items in pages of 500, as a
// connector backfilling a new channel does.
func BenchmarkIngestBackfill(b *testing.B) {
	const n, page = 20000, 500
	items := backfillItems(n, "bf")
	rows := make([][2]string, n)
	for i, it := range items {
		rows[i] = [2]string{it.ExternalID, it.Text}
	}
	var store, plain span
	var msgs int
	for b.Loop() {
		b.StopTimer()
		dir := b.TempDir()
		db, err := Open(context.Background(), dir, nil)
		if err != nil {
			b.Fatal(err)
		}
		ch := newChannel(b, db, anliegen.PlatformMastodon)
		b.StartTimer()
		store.add(measure(func() {
			for i := 0; i < n; i += page {
				res, err := db.Ingest(context.Background(), ch, items[i:i+page], "c"+strconv.Itoa(i))
				if err != nil || res.Created != page {
					b.Fatalf("ingest: %+v, %v", res, err)
				}
			}
		}))
		b.StopTimer()
		msgs += n
		db.Close()
		plain.add(plainInsert(b, dir, rows, page))
		b.StartTimer()
	}
	report(b, msgs, store, plain)
}

// BenchmarkIngestSingle ingests one item per transaction, as a webhook or
// a quiet channel's poll does, into a store that already holds 20,000
// messages, and reports latency percentiles.
func BenchmarkIngestSingle(b *testing.B) {
	db := mustOpen(b)
	ch := newChannel(b, db, anliegen.PlatformMastodon)
	pre := backfillItems(20000, "pre")
	for i := 0; i < len(pre); i += 1000 {
		if _, err := db.Ingest(context.Background(), ch, pre[i:i+1000], ""); err != nil {
			b.Fatal(err)
		}
	}
	items := backfillItems(max(b.N, 1000), "single")
	lat := make([]time.Duration, 0, b.N)
	i := 0
	for b.Loop() {
		start := time.Now()
		if _, err := db.Ingest(context.Background(), ch, items[i%len(items):i%len(items)+1], "c"); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
		i++
	}
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(pct(0.50), "p50_ms")
	b.ReportMetric(pct(0.90), "p90_ms")
	b.ReportMetric(pct(0.99), "p99_ms")
	b.ReportMetric(0, "ns/op")
}
