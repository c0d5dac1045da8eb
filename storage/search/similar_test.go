package search

import (
	"context"
	"slices"
	"testing"

	"github.com/anliegen/anliegen"
)

// TestSimilar asks, for each group of paraphrased inquiries in the search
// queries test data, for tickets like the first one's question, and
// expects another of the group among the best five, with its answer.
func TestSimilar(t *testing.T) {
	qs := readJSONL[inquiry](t, "../../testdata/inquiries-dev.jsonl")
	queries := readJSONL[searchQuery](t, "../../testdata/search-queries-dev.jsonl")
	src := newMemSource()
	src.fill(inquiryDocs(qs))
	x := openTest(t, t.TempDir(), src)
	if err := x.Rebuild(context.Background(), src); err != nil {
		t.Fatal(err)
	}
	byID := map[string]int64{}
	for i, q := range qs {
		byID[q.ID] = int64(i + 1)
	}
	groups, found := 0, 0
	for _, q := range queries {
		if len(q.Relevant) < 2 {
			continue
		}
		groups++
		self := byID[q.Relevant[0]]
		sim, err := x.Similar(context.Background(), qs[self-1].Text, anliegen.ScopeAll, self, 5)
		if err != nil {
			t.Fatal(err)
		}
		hit := false
		for _, s := range sim {
			if s.TicketID == self {
				t.Fatalf("%s: excluded ticket returned", q.Query)
			}
			if s.Answer != qs[s.TicketID-1].Answer || s.Question != qs[s.TicketID-1].Text || s.Answer == "" {
				t.Fatalf("%s: ticket %d with wrong question or answer: %+v", q.Query, s.TicketID, s)
			}
			if slices.Contains(q.Relevant, qs[s.TicketID-1].ID) {
				hit = true
			}
		}
		if hit {
			found++
		}
	}
	t.Logf("similar: %d of %d paraphrase groups found in the best 5", found, groups)
	if float64(found) < 0.8*float64(groups) {
		t.Errorf("similar found %d of %d groups, want at least 80 %%", found, groups)
	}

	// Scope: a department sees only its own resolved tickets.
	sim, err := x.Similar(context.Background(), "Sperrmüll anmelden Kosten", anliegen.Scope{Departments: []string{"finanzen"}}, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sim {
		if d := qs[s.TicketID-1].Department; d != "finanzen" {
			t.Fatalf("similar returned a %s ticket to finanzen", d)
		}
	}
	if sim, err := x.Similar(context.Background(), "Sperrmüll", anliegen.Scope{}, 0, 10); err != nil || len(sim) != 0 {
		t.Fatalf("zero scope: %v, %v", sim, err)
	}
	if _, err := x.Similar(context.Background(), "und der", anliegen.ScopeAll, 0, 10); anliegen.ErrorCode(err) != anliegen.EInvalid {
		t.Fatalf("text of stop words: %v", err)
	}
}
