package storage

import (
	"context"
	"testing"
	"time"

	"github.com/anliegen/anliegen"
)

func TestIndexDocs(t *testing.T) {
	db := mustOpen(t)
	ctx := context.Background()
	ch := newChannel(t, db, anliegen.PlatformFacebook)
	var items []anliegen.Item
	for i, a := range []string{"u1", "u2", "u3", "u4"} {
		items = append(items, dm("m"+a, a, "Frage von "+a, t0.Add(time.Duration(i)*time.Minute)))
	}
	mustIngest(t, db, ch, items, "")
	t1, t2, t3, t4 := ticketOf(t, db, "mu1"), ticketOf(t, db, "mu2"), ticketOf(t, db, "mu3"), ticketOf(t, db, "mu4")
	if _, err := db.AddNote(ctx, t1, 0, "interne Notiz"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateReply(ctx, t1, 0, "Antwort"); err != nil {
		t.Fatal(err)
	}
	del := dm("mu2", "u2", "Frage von u2", t0)
	del.Deleted = true
	mustIngest(t, db, ch, []anliegen.Item{del}, "")
	if _, err := db.w.Exec(`UPDATE tickets SET merged_into = ?, tags = '["a","b"]' WHERE id = ?`, t4, t3); err != nil {
		t.Fatal(err)
	}

	docs, err := db.IndexDocs(ctx, []int64{t1, t2, t3, 999})
	if err != nil {
		t.Fatal(err)
	}
	// t1: inbound + reply (no note); t2: its only message deleted; t3 merged away.
	if len(docs) != 2 || docs[0].Direction != anliegen.DirectionIn || docs[1].Direction != anliegen.DirectionOut {
		t.Fatalf("docs = %+v", docs)
	}
	d := docs[0]
	if d.TicketID != t1 || d.Number == "" || d.Platform != anliegen.PlatformFacebook || d.Kind != anliegen.KindDM ||
		d.ExternalID != "mu1" || d.Status != anliegen.StatusOpen || d.Text != "Frage von u1" || d.Author != "@u1" || !d.CreatedAt.Equal(t0) {
		t.Errorf("doc = %+v", d)
	}

	var seen []int64
	after, pages := int64(0), 0
	for {
		page, last, err := db.ScanIndexDocs(ctx, after, 2)
		if err != nil {
			t.Fatal(err)
		}
		if last == 0 {
			break
		}
		pages++
		for _, d := range page {
			seen = append(seen, d.MessageID)
		}
		after = last
	}
	if pages != 2 || len(seen) != 3 { // t1 (2 docs), t4 (1 doc)
		t.Errorf("scan: %d pages, %d docs", pages, len(seen))
	}
}
