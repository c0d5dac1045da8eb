package storage

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/anliegen/anliegen"
)

// streamPlatforms are the channels of a generated stream, as in the
// corpus of `anliegen bench`: comments, DMs and mail with their shares.
var streamPlatforms = []struct {
	platform anliegen.Platform
	weight   int
}{
	{anliegen.PlatformFacebook, 30}, {anliegen.PlatformInstagram, 12}, {anliegen.PlatformMastodon, 8},
	{anliegen.PlatformX, 6}, {anliegen.PlatformWhatsApp, 14}, {anliegen.PlatformEmail, 20},
	{anliegen.PlatformWebform, 10},
}

var (
	streamWords = strings.Fields(`Sperrmüll Abholung Lindenstraße Hausnummer Termin Personalausweis Reisepass
		Bürgeramt Straßenlaterne defekt Schlagloch Gehweg Baustelle Kita Platz Anmeldung Gebühren Hundesteuer
		Grundsteuer Bescheid Widerspruch Frist Wohngeld Antrag Unterlagen Formular Spielplatz Baum Ast Parkplatz
		Falschparker Lärm Nachbar Ruhestörung Müllabfuhr Biotonne Gelber Sack Container Friedhof Standesamt
		Geburtsurkunde Hochzeit Bibliothek Ausweis Schwimmbad Öffnungszeiten Samstag Montag dringend bitte`)
	streamFill = strings.Fields(`ich wollte fragen ob wann wie wo der die das seit einer Woche noch immer
		nicht und auch schon wieder bei uns in vor dem hinter ist sind wird kann man mir sagen vielen Dank
		freundliche Grüße leider heute morgen gestern`)
	streamAnswers = []string{"Vielen Dank für Ihre Nachricht.", "Wir haben Ihr Anliegen an die zuständige Stelle weitergeleitet.",
		"Bitte vereinbaren Sie einen Termin online.", "Die Abholung ist für nächste Woche geplant.",
		"Mit freundlichen Grüßen, Ihre Stadtverwaltung"}
)

// streamItem is a generated item and the index of its channel.
type streamItem struct {
	ch   int
	item anliegen.Item
}

// genStream returns n items in the style of the `anliegen bench` corpus:
// threads of a citizen's message, sometimes a follow-up, often the town's
// reply; comments under shared posts, DMs, mails with subjects and
// References; authors who write again.
func genStream(seed uint64, n int, prefix string) []streamItem {
	rng := rand.New(rand.NewPCG(seed, 42))
	sentence := func(words int) string {
		var b strings.Builder
		for i := range words {
			if i > 0 {
				b.WriteByte(' ')
			}
			if rng.IntN(3) == 0 {
				b.WriteString(streamWords[rng.IntN(len(streamWords))])
			} else {
				b.WriteString(streamFill[rng.IntN(len(streamFill))])
			}
			if rng.IntN(12) == 0 {
				b.WriteString(" " + strconv.Itoa(rng.IntN(200)))
			}
		}
		return b.String() + "."
	}
	total := 0
	for _, p := range streamPlatforms {
		total += p.weight
	}
	out := make([]streamItem, 0, n+2)
	start := time.Date(2025, 1, 6, 7, 0, 0, 0, time.UTC)
	for t := 1; len(out) < n; t++ {
		ch, w := 0, rng.IntN(total)
		for i, p := range streamPlatforms {
			if w < p.weight {
				ch = i
				break
			}
			w -= p.weight
		}
		p := streamPlatforms[ch].platform
		kind := anliegen.KindComment
		switch {
		case p == anliegen.PlatformWhatsApp:
			kind = anliegen.KindDM
		case p == anliegen.PlatformEmail || p == anliegen.PlatformWebform:
			kind = anliegen.KindMail
		case rng.IntN(10) < 3:
			kind = anliegen.KindDM
		}
		user := rng.IntN(n/3 + 10)
		author := anliegen.Author{ExternalID: "u" + strconv.Itoa(user), Name: "Bürger " + strconv.Itoa(user),
			Handle: "@b" + strconv.Itoa(user)}
		at := start.Add(time.Duration(t) * 47 * time.Second)
		id := prefix + strconv.Itoa(t)
		thread := "conv-" + id
		if kind == anliegen.KindComment {
			thread = "post-" + prefix + strconv.Itoa(t/40)
		}
		first := anliegen.Item{ExternalID: "m" + id + "a", Kind: kind, ThreadID: thread, Author: author,
			Text: "Guten Tag, " + sentence(8+rng.IntN(14)) + " " + sentence(4+rng.IntN(8)), CreatedAt: at, Lang: "de"}
		if kind == anliegen.KindMail {
			first.ThreadID = "<" + first.ExternalID + "@mail.example>"
			first.Subject = streamWords[rng.IntN(len(streamWords))]
		}
		out = append(out, streamItem{ch, first})
		if rng.IntN(4) == 0 {
			f := first
			f.ExternalID, f.ParentID = "m"+id+"b", first.ExternalID
			f.Text = sentence(5 + rng.IntN(10))
			f.CreatedAt = at.Add(time.Duration(5+rng.IntN(120)) * time.Minute)
			out = append(out, streamItem{ch, f})
		}
		if rng.IntN(10) < 6 {
			r := anliegen.Item{ExternalID: "m" + id + "r", Kind: kind, ThreadID: first.ThreadID, ParentID: first.ExternalID,
				Author: anliegen.Author{ExternalID: "town", Name: "Stadt Musterstadt"}, FromUs: true, Lang: "de",
				Text:      streamAnswers[rng.IntN(len(streamAnswers))] + " " + sentence(6+rng.IntN(10)),
				CreatedAt: at.Add(time.Duration(30+rng.IntN(3000)) * time.Minute)}
			if kind == anliegen.KindMail {
				r.References, r.Subject = []string{first.ThreadID}, "Re: "+first.Subject
			}
			out = append(out, streamItem{ch, r})
		}
	}
	return out[:n]
}

// streamChannels creates one channel per stream platform.
func streamChannels(tb testing.TB, db *DB) []int64 {
	tb.Helper()
	ids := make([]int64, len(streamPlatforms))
	for i, p := range streamPlatforms {
		ids[i] = newChannel(tb, db, p.platform)
	}
	return ids
}

// ingestStream ingests items in pages of page items per channel, as the
// backfill of `anliegen bench` does, and returns the bytes of text.
func ingestStream(tb testing.TB, db *DB, chans []int64, items []streamItem, page int) {
	tb.Helper()
	pending := make([][]anliegen.Item, len(chans))
	flush := func(ch int) {
		if len(pending[ch]) == 0 {
			return
		}
		if _, err := db.Ingest(context.Background(), chans[ch], pending[ch], "c"); err != nil {
			tb.Fatal(err)
		}
		pending[ch] = pending[ch][:0]
	}
	for _, it := range items {
		pending[it.ch] = append(pending[it.ch], it.item)
		if len(pending[it.ch]) >= page {
			flush(it.ch)
		}
	}
	for ch := range pending {
		flush(ch)
	}
}

// BenchmarkBackfill100k ingests 100,000 generated messages in pages of
// 1,000 per channel, as `anliegen bench` does (without the search index),
// beside the plain batched insert of the same rows; it also reports the
// database size per byte of message text. BACKFILL_N changes the size.
func BenchmarkBackfill100k(b *testing.B) {
	n := 100000
	if s := os.Getenv("BACKFILL_N"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	const page = 1000
	items := genStream(1, n, "")
	rows := make([][2]string, n)
	var textBytes int64
	for i, it := range items {
		rows[i] = [2]string{it.item.ExternalID, it.item.Text}
		textBytes += int64(len(it.item.Text))
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
		chans := streamChannels(b, db)
		b.StartTimer()
		store.add(measure(func() { ingestStream(b, db, chans, items, page) }))
		b.StopTimer()
		msgs += n
		if err := db.Close(); err != nil {
			b.Fatal(err)
		}
		size := fileSize(b, filepath.Join(dir, FileName))
		b.ReportMetric(float64(size)/float64(textBytes), "db_bytes/text_byte")
		if testing.Verbose() {
			logDBStat(b, filepath.Join(dir, FileName))
		}
		plain.add(plainInsert(b, dir, rows, page))
		b.StartTimer()
	}
	report(b, msgs, store, plain)
	if store.cpu > 0 {
		b.ReportMetric(store.cpu.Seconds()*1e6/float64(msgs), "cpu_us/msg")
	}
}

func fileSize(tb testing.TB, path string) int64 {
	tb.Helper()
	var n int64
	for _, p := range []string{path, path + "-wal"} {
		if fi, err := os.Stat(p); err == nil {
			n += fi.Size()
		}
	}
	return n
}

// logDBStat logs the bytes of each table and index (SQLite's dbstat).
func logDBStat(tb testing.TB, path string) {
	tb.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT name, sum(pgsize), sum(payload) FROM dbstat GROUP BY name ORDER BY 2 DESC`)
	if err != nil {
		tb.Logf("dbstat: %v", err)
		return
	}
	defer rows.Close()
	var sb strings.Builder
	for rows.Next() {
		var name string
		var size, payload int64
		if err := rows.Scan(&name, &size, &payload); err != nil {
			tb.Fatal(err)
		}
		fmt.Fprintf(&sb, "%-32s %10d %10d\n", name, size, payload)
	}
	tb.Logf("dbstat (name, bytes, payload):\n%s", sb.String())
}
