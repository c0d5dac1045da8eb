package search

import (
	"context"
	"os"
	"slices"
	"testing"

	"github.com/anliegen/anliegen"
	"github.com/anliegen/anliegen/storage"
)

// TestWithStore indexes the test inquiries imported into a real store by
// following its events log, checks the quality bar through the store's
// documents, and that a routing change reaches the index.
func TestWithStore(t *testing.T) {
	ctx := context.Background()
	db, err := storage.Open(ctx, t.TempDir(), testLogger())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	f, err := os.Open("../../testdata/inquiries-dev.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var recs []storage.HistoryRecord
	err = storage.ReadHistory(f, func(_ int, r storage.HistoryRecord, err error) error {
		if err == nil {
			recs = append(recs, r)
		}
		return nil
	})
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ImportHistory(ctx, recs); err != nil {
		t.Fatal(err)
	}

	x := openTest(t, t.TempDir(), db)
	runIndexer(t, x, db)
	catchUp(t, x)

	// Map tickets to inquiry IDs: the question's external ID is the record's.
	ids := map[int64]string{}
	for after := int64(0); ; {
		docs, next, err := db.ScanIndexDocs(ctx, after, 500)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range docs {
			if d.Direction == anliegen.DirectionIn {
				ids[d.TicketID] = d.ExternalID
			}
		}
		if next == 0 {
			break
		}
		after = next
	}
	if len(ids) != len(recs) {
		t.Fatalf("store holds %d tickets, want %d", len(ids), len(recs))
	}

	queries := readJSONL[searchQuery](t, "../../testdata/search-queries-dev.jsonl")
	var recall, mrr float64
	for _, q := range queries {
		res := mustSearch(t, x, anliegen.SearchQuery{Q: q.Query, Scope: anliegen.ScopeAll, Limit: 100})
		var ranked []string
		for _, h := range res.Hits {
			if id := ids[h.TicketID]; !slices.Contains(ranked, id) {
				ranked = append(ranked, id)
			}
		}
		r, rr := metrics(ranked, q.Relevant)
		recall += r
		mrr += rr
	}
	recall, mrr = recall/float64(len(queries)), mrr/float64(len(queries))
	t.Logf("through the store: recall@10 %.3f, MRR %.3f", recall, mrr)
	if recall < 0.90 || mrr < 0.90 {
		t.Errorf("recall@10 %.3f, MRR %.3f; want both >= 0.90", recall, mrr)
	}

	// Route a waste ticket to finanzen; the index follows the event.
	res := mustSearch(t, x, anliegen.SearchQuery{Q: "Sperrmüll", Scope: anliegen.Scope{Departments: []string{"abfall"}}, Limit: 1})
	if len(res.Hits) == 0 {
		t.Fatal("no Sperrmüll ticket in abfall")
	}
	moved := res.Hits[0].TicketID
	dept := "finanzen"
	if _, err := db.UpdateTicket(ctx, moved, 0, anliegen.TicketUpdate{Department: &dept}); err != nil {
		t.Fatal(err)
	}
	catchUp(t, x)
	res = mustSearch(t, x, anliegen.SearchQuery{Q: "Sperrmüll", Scope: anliegen.Scope{Departments: []string{"finanzen"}}, Limit: 100})
	if !slices.Contains(hitTickets(res), moved) {
		t.Fatalf("routed ticket %d not found by finanzen", moved)
	}
	res = mustSearch(t, x, anliegen.SearchQuery{Q: "Sperrmüll", Scope: anliegen.Scope{Departments: []string{"abfall"}}, Limit: 100})
	if slices.Contains(hitTickets(res), moved) {
		t.Fatalf("routed ticket %d still found by abfall", moved)
	}
}
