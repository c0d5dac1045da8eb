package search

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2/index/scorch"

	"github.com/anliegen/anliegen"
)

// Facet counts agree with the matches themselves on an index of many
// segments with replaced documents, and a department user's counts see
// only that department.
func TestFacetsAcrossSegments(t *testing.T) {
	src := newMemSource()
	rng := rand.New(rand.NewPCG(1, 2))
	depts := []string{"abfall", "ordnung", "buergeramt", "kita"}
	platforms := []anliegen.Platform{anliegen.PlatformEmail, anliegen.PlatformFacebook, anliegen.PlatformMastodon}
	tags := []string{"sperrmuell", "kosten", "termin", "beschwerde"}
	ticket := func(id int64) []anliegen.IndexDoc {
		q := doc(id, 0, depts[rng.IntN(len(depts))], "Sperrmüll abholen bitte")
		if id%3 == 0 {
			q.Text = "Hundesteuer anmelden" // no match
		}
		q.Platform = platforms[rng.IntN(len(platforms))]
		q.Tags = []string{tags[rng.IntN(len(tags))]}
		if id%4 == 0 {
			q.Tags = append(q.Tags, "dringend")
		}
		q.CreatedAt = time.Date(2025, time.Month(1+rng.IntN(12)), 3, 9, 0, 0, 0, time.UTC)
		a := q
		a.MessageID, a.Direction, a.Text = q.MessageID+1, anliegen.DirectionOut, "Wir holen den Sperrmüll ab."
		if id%2 == 0 {
			a.Text = "Danke für Ihre Nachricht."
		}
		return []anliegen.IndexDoc{q, a}
	}
	x, err := Open(context.Background(), t.TempDir(), testLogger(),
		Options{Source: src, PollInterval: 5 * time.Millisecond, BatchEvents: 7})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Close() })
	runIndexer(t, x, src)
	for id := int64(1); id <= 80; id++ {
		src.put(id, ticket(id)...)
		if id%10 == 0 {
			catchUp(t, x) // separate batches make separate segments
		}
	}
	for id := int64(5); id <= 80; id += 5 { // replaced: old documents are deleted
		src.put(id, ticket(id)...)
	}
	catchUp(t, x)
	if n := segments(t, x); n < 2 {
		t.Fatalf("index has %d segment, the test needs several", n)
	}

	for _, scope := range []anliegen.Scope{anliegen.ScopeAll, {Departments: []string{"abfall", "kita"}}} {
		t.Run(fmt.Sprint(scope.Departments), func(t *testing.T) {
			res := mustSearch(t, x, anliegen.SearchQuery{Q: "Sperrmüll", Scope: scope, Limit: maxLimit})
			if res.Total == 0 || res.Total != uint64(len(res.Hits)) {
				t.Fatalf("total %d, hits %d: the test needs all matches on one page", res.Total, len(res.Hits))
			}
			want := map[string]map[string]int{}
			add := func(facet, term string) {
				if want[facet] == nil {
					want[facet] = map[string]int{}
				}
				want[facet][term]++
			}
			for _, h := range res.Hits {
				if !scope.Allows(h.Department) {
					t.Fatalf("hit of department %q outside scope", h.Department)
				}
				var d *anliegen.IndexDoc
				for _, c := range src.docs[h.TicketID] {
					if c.MessageID == h.MessageID {
						d = &c
					}
				}
				if d == nil {
					t.Fatalf("hit %d is not a current document", h.MessageID)
				}
				add("department", d.Department)
				add("platform", string(d.Platform))
				add("status", string(d.Status))
				add("month", d.CreatedAt.Format("2006-01"))
				for _, tag := range d.Tags {
					add("tag", tag)
				}
			}
			for facet, counts := range res.Facets {
				got := map[string]int{}
				for _, c := range counts {
					got[c.Term] = c.Count
				}
				if !mapsEqual(got, want[facet]) {
					t.Errorf("facet %s: %v, counted from the hits %v", facet, got, want[facet])
				}
			}
		})
	}
}

func segments(t *testing.T, x *Index) int {
	a, err := x.idx.Advanced()
	if err != nil {
		t.Fatal(err)
	}
	r, err := a.Reader()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	return len(r.(*scorch.IndexSnapshot).Segments())
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestMatchLevels(t *testing.T) {
	for n, want := range map[int][]int{0: {1}, 1: {1}, 2: {2, levelRarest, 1}, 3: {3, 2, levelRarest, 1}, 5: {5, 4, levelRarest, 1}} {
		if got := matchLevels(n); !slices.Equal(got, want) {
			t.Errorf("matchLevels(%d) = %v, want %v", n, got, want)
		}
	}
}

// When no document holds all words, a query's rarest word is required
// before any word is enough: a common word alone does not flood the
// result.
func TestRarestWordLevel(t *testing.T) {
	src := newMemSource()
	id := int64(1)
	for range 60 {
		src.put(id, doc(id, 0, "steuern", "Wie hoch ist die Hundesteuer?"))
		id++
	}
	for range 200 {
		src.put(id, doc(id, 0, "buergeramt", "Ich möchte mich anmelden."))
		id++
	}
	x := openTest(t, t.TempDir(), src)
	runIndexer(t, x, src)
	catchUp(t, x)
	res := mustSearch(t, x, anliegen.SearchQuery{Q: "Hundesteuer anmelden", Scope: anliegen.ScopeAll})
	if res.Total != 60 {
		t.Fatalf("total %d, want the 60 messages with the rarer word", res.Total)
	}
	if got := res.Facets["department"]; len(got) != 1 || got[0].Term != "steuern" {
		t.Fatalf("department facet %v", got)
	}
	// No document in scope holds the rarer word: any word.
	res = mustSearch(t, x, anliegen.SearchQuery{Q: "Hundesteuer anmelden",
		Scope: anliegen.Scope{Departments: []string{"buergeramt"}}})
	if res.Total != 200 {
		t.Fatalf("in scope buergeramt: total %d, want the 200 with the other word", res.Total)
	}
}
