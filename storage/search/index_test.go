package search

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anliegen/anliegen"
)

func testLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// openTest opens an index in dir over src and closes it at the end.
func openTest(t testing.TB, dir string, src anliegen.IndexSource) *Index {
	t.Helper()
	x, err := Open(context.Background(), dir, testLogger(), Options{Source: src, PollInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Close() })
	return x
}

// doc is a test message: ticket id, department and text; message IDs are
// ticket*10 + position.
func doc(ticket int64, pos int, dept, text string) anliegen.IndexDoc {
	dir := anliegen.DirectionIn
	if pos > 0 {
		dir = anliegen.DirectionOut
	}
	return anliegen.IndexDoc{
		MessageID: ticket*10 + int64(pos), TicketID: ticket, Number: ticketNumber(ticket),
		Platform: anliegen.PlatformEmail, Kind: anliegen.KindMail, Direction: dir,
		Department: dept, Status: anliegen.StatusResolved, Text: text,
		CreatedAt: time.Date(2025, 3, int(ticket%28)+1, 10, 0, 0, 0, time.UTC),
	}
}

// catchUp waits until the indexer has seen every event of src.
func catchUp(t testing.TB, x *Index) {
	t.Helper()
	x.Notify()
	for deadline := time.Now().Add(30 * time.Second); ; {
		lag, err := x.IndexLag(context.Background())
		if err == nil && lag == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("indexer did not catch up: lag %d, err %v", lag, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// runIndexer runs x.Run until the test ends.
func runIndexer(t testing.TB, x *Index, src anliegen.IndexSource) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- x.Run(ctx, src) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	})
}

func mustSearch(t testing.TB, x *Index, q anliegen.SearchQuery) anliegen.SearchResult {
	t.Helper()
	res, err := x.Search(context.Background(), q)
	if err != nil {
		t.Fatalf("search %q: %v", q.Q, err)
	}
	return res
}

func hitTickets(res anliegen.SearchResult) []int64 {
	var out []int64
	for _, h := range res.Hits {
		if !slices.Contains(out, h.TicketID) {
			out = append(out, h.TicketID)
		}
	}
	slices.Sort(out)
	return out
}

func TestIndexerFollowsEvents(t *testing.T) {
	src := newMemSource()
	x := openTest(t, t.TempDir(), src)
	runIndexer(t, x, src)

	src.put(1, doc(1, 0, "abfall", "Der gelbe Sack wurde nicht abgeholt."), doc(1, 1, "abfall", "Wir holen ihn morgen ab."))
	src.put(2, doc(2, 0, "verkehr", "Die Straßenlaterne im Rosenweg ist kaputt."))
	catchUp(t, x)
	if n, _ := x.DocCount(); n != 3 {
		t.Fatalf("doc count %d, want 3", n)
	}
	if got := hitTickets(mustSearch(t, x, anliegen.SearchQuery{Q: "gelber Sack", Scope: anliegen.ScopeAll})); !slices.Equal(got, []int64{1}) {
		t.Fatalf("gelber Sack: tickets %v", got)
	}

	// An edit replaces the text; the old words no longer match.
	src.put(2, doc(2, 0, "verkehr", "Im Rosenweg fehlt ein Gullydeckel."))
	catchUp(t, x)
	if got := hitTickets(mustSearch(t, x, anliegen.SearchQuery{Q: "Laterne", Scope: anliegen.ScopeAll})); len(got) != 0 {
		t.Fatalf("Laterne after edit: tickets %v", got)
	}
	if got := hitTickets(mustSearch(t, x, anliegen.SearchQuery{Q: "Gullydeckel", Scope: anliegen.ScopeAll})); !slices.Equal(got, []int64{2}) {
		t.Fatalf("Gullydeckel: tickets %v", got)
	}

	// Routing moves the ticket out of one department's scope.
	src.put(1, doc(1, 0, "verkehr", "Der gelbe Sack wurde nicht abgeholt."), doc(1, 1, "verkehr", "Wir holen ihn morgen ab."))
	catchUp(t, x)
	abfall := anliegen.Scope{Departments: []string{"abfall"}}
	if res := mustSearch(t, x, anliegen.SearchQuery{Q: "Sack", Scope: abfall}); len(res.Hits) != 0 || res.Total != 0 {
		t.Fatalf("abfall still sees routed ticket: %+v", res)
	}

	// A deleted (or merged away) ticket disappears.
	src.put(1)
	catchUp(t, x)
	if n, _ := x.DocCount(); n != 1 {
		t.Fatalf("doc count after delete %d, want 1", n)
	}
}

func TestIndexerCatchesUpAfterRestart(t *testing.T) {
	src := newMemSource()
	dir := t.TempDir()
	x, err := Open(context.Background(), dir, testLogger(), Options{Source: src, BatchEvents: 2})
	if err != nil {
		t.Fatal(err)
	}
	for i := int64(1); i <= 5; i++ {
		src.put(i, doc(i, 0, "abfall", "Sperrmüll anmelden"))
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- x.Run(ctx, src) }()
	catchUp(t, x)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}

	// Events written while no indexer ran, by another process.
	for i := int64(6); i <= 12; i++ {
		src.put(i, doc(i, 0, "abfall", "Sperrmüll anmelden"))
	}
	x = openTest(t, dir, src)
	if cp, _ := x.Checkpoint(); cp != 5 {
		t.Fatalf("checkpoint after reopen %d, want 5", cp)
	}
	runIndexer(t, x, src)
	catchUp(t, x)
	if n, _ := x.DocCount(); n != 12 {
		t.Fatalf("doc count %d, want 12", n)
	}
}

func TestIndexerRetriesSourceErrors(t *testing.T) {
	src := newMemSource()
	src.put(1, doc(1, 0, "abfall", "Sperrmüll"))
	x := openTest(t, t.TempDir(), src)
	src.setFail(errors.New("database is locked"))
	runIndexer(t, x, src)
	src.put(2, doc(2, 0, "abfall", "Sperrmüll"))
	time.Sleep(20 * time.Millisecond) // let it fail at least once
	src.setFail(nil)
	catchUp(t, x)
	if n, _ := x.DocCount(); n != 2 {
		t.Fatalf("doc count %d, want 2", n)
	}
}

// TestScope checks invariant 5: a department's search neither returns,
// counts nor facets another department's tickets.
func TestScope(t *testing.T) {
	src := newMemSource()
	src.put(1, doc(1, 0, "abfall", "Sperrmüll anmelden, was kostet das?"))
	src.put(2, doc(2, 0, "finanzen", "Sperrmüll Gebühr zu hoch"))
	src.put(3, doc(3, 0, "", "Sperrmüll liegt vor dem Haus"))
	x := openTest(t, t.TempDir(), src)
	runIndexer(t, x, src)
	catchUp(t, x)

	tests := []struct {
		name  string
		scope anliegen.Scope
		depts []string
		want  []int64
	}{
		{"all", anliegen.ScopeAll, nil, []int64{1, 2, 3}},
		{"one department", anliegen.Scope{Departments: []string{"abfall"}}, nil, []int64{1}},
		{"two departments", anliegen.Scope{Departments: []string{"abfall", "finanzen"}}, nil, []int64{1, 2}},
		{"filter outside scope", anliegen.Scope{Departments: []string{"abfall"}}, []string{"finanzen"}, nil},
		{"zero scope", anliegen.Scope{}, nil, nil},
		{"empty department name", anliegen.Scope{Departments: []string{""}}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := mustSearch(t, x, anliegen.SearchQuery{Q: "Sperrmüll", Scope: tt.scope, Departments: tt.depts})
			if got := hitTickets(res); !slices.Equal(got, tt.want) {
				t.Fatalf("tickets %v, want %v", got, tt.want)
			}
			if len(res.Facets) != 5 {
				t.Fatalf("facets %v, want all five names", res.Facets)
			}
			if res.Total != uint64(len(tt.want)) {
				t.Fatalf("total %d, want %d", res.Total, len(tt.want))
			}
			n := 0
			for _, f := range res.Facets["department"] {
				n += f.Count
				if !tt.scope.Allows(f.Term) {
					t.Fatalf("facet shows department %q outside scope", f.Term)
				}
			}
			if n > len(tt.want) {
				t.Fatalf("department facet counts %d hits, want at most %d", n, len(tt.want))
			}
		})
	}
}

func TestSearchFiltersAndFacets(t *testing.T) {
	src := newMemSource()
	a := doc(1, 0, "abfall", "Sperrmüll anmelden")
	a.Platform, a.Tags, a.Status = anliegen.PlatformFacebook, []string{"sperrmuell", "kosten"}, anliegen.StatusOpen
	b := doc(2, 0, "abfall", "Sperrmüll abgeholt?")
	b.Tags, b.CreatedAt = []string{"sperrmuell"}, time.Date(2025, 5, 2, 0, 0, 0, 0, time.UTC)
	c := doc(3, 0, "abfall", "Sperrmüll im Wald")
	c.Platform, c.CreatedAt = anliegen.PlatformFacebook, time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	src.put(1, a)
	src.put(2, b)
	src.put(3, c)
	x := openTest(t, t.TempDir(), src)
	runIndexer(t, x, src)
	catchUp(t, x)

	tests := []struct {
		name string
		q    anliegen.SearchQuery
		want []int64
	}{
		{"platform", anliegen.SearchQuery{Platforms: []anliegen.Platform{anliegen.PlatformFacebook}}, []int64{1, 3}},
		{"status", anliegen.SearchQuery{Statuses: []anliegen.Status{anliegen.StatusOpen}}, []int64{1}},
		{"all tags", anliegen.SearchQuery{Tags: []string{"sperrmuell", "kosten"}}, []int64{1}},
		{"from", anliegen.SearchQuery{From: time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC)}, []int64{2, 3}},
		{"to is exclusive", anliegen.SearchQuery{To: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)}, []int64{1, 2}},
		{"exclusion", anliegen.SearchQuery{Q: "Sperrmüll -Wald"}, []int64{1, 2}},
		{"excluded phrase needs all words", anliegen.SearchQuery{Q: `Sperrmüll -"im Wald anmelden"`}, []int64{1, 2, 3}},
		{"excluded phrase", anliegen.SearchQuery{Q: `Sperrmüll -"im Wald"`}, []int64{1, 2}},
		{"phrase", anliegen.SearchQuery{Q: `"Sperrmüll anmelden"`}, []int64{1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := tt.q
			if q.Q == "" {
				q.Q = "Sperrmüll"
			}
			q.Scope = anliegen.ScopeAll
			if got := hitTickets(mustSearch(t, x, q)); !slices.Equal(got, tt.want) {
				t.Fatalf("tickets %v, want %v", got, tt.want)
			}
		})
	}

	res := mustSearch(t, x, anliegen.SearchQuery{Q: "Sperrmüll", Scope: anliegen.ScopeAll})
	want := map[string][]anliegen.FacetCount{
		"department": {{Term: "abfall", Count: 3}},
		"platform":   {{Term: "facebook", Count: 2}, {Term: "email", Count: 1}},
		"status":     {{Term: "resolved", Count: 2}, {Term: "open", Count: 1}},
		"tag":        {{Term: "sperrmuell", Count: 2}, {Term: "kosten", Count: 1}},
		"month":      {{Term: "2025-06", Count: 1}, {Term: "2025-05", Count: 1}, {Term: "2025-03", Count: 1}},
	}
	for k, w := range want {
		if got := res.Facets[k]; !slices.Equal(got, w) {
			t.Errorf("facet %s: %v, want %v", k, got, w)
		}
	}
	h := res.Hits[0]
	if h.Number == "" || h.Platform == "" || h.Department != "abfall" || h.CreatedAt.IsZero() ||
		!strings.Contains(h.Snippet, "<mark>Sperrmüll</mark>") {
		t.Errorf("hit not filled from the store: %+v", h)
	}
}

func TestSearchPaging(t *testing.T) {
	src := newMemSource()
	for i := int64(1); i <= 30; i++ {
		src.put(i, doc(i, 0, "abfall", "Sperrmüll "+strings.Repeat("und noch ein Wort ", int(i))))
	}
	x := openTest(t, t.TempDir(), src)
	runIndexer(t, x, src)
	catchUp(t, x)
	var all []int64
	for off := 0; off < 30; off += 7 {
		res := mustSearch(t, x, anliegen.SearchQuery{Q: "Sperrmüll", Scope: anliegen.ScopeAll, Limit: 7, Offset: off})
		if res.Total != 30 {
			t.Fatalf("total %d", res.Total)
		}
		for _, h := range res.Hits {
			all = append(all, h.TicketID)
		}
	}
	if len(all) != 30 {
		t.Fatalf("pages held %d hits: %v", len(all), all)
	}
	slices.Sort(all)
	if len(slices.Compact(all)) != 30 {
		t.Fatalf("pages repeat hits: %v", all)
	}
}

func TestSearchInvalid(t *testing.T) {
	src := newMemSource()
	x := openTest(t, t.TempDir(), src)
	tests := []struct {
		name  string
		q     anliegen.SearchQuery
		field string
	}{
		{"empty", anliegen.SearchQuery{Q: "  "}, "q"},
		{"stop words only", anliegen.SearchQuery{Q: "und der die"}, "q"},
		{"only exclusions", anliegen.SearchQuery{Q: "-Sperrmüll"}, "q"},
		{"too long", anliegen.SearchQuery{Q: strings.Repeat("a", maxQueryLen+1)}, "q"},
		{"negative limit", anliegen.SearchQuery{Q: "a", Limit: -1}, "limit"},
		{"offset", anliegen.SearchQuery{Q: "a", Offset: maxOffset + 1}, "offset"},
		{"dates", anliegen.SearchQuery{Q: "a", From: time.Now(), To: time.Now().Add(-time.Hour)}, "to"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.q.Scope = anliegen.ScopeAll
			_, err := x.Search(context.Background(), tt.q)
			if anliegen.ErrorCode(err) != anliegen.EInvalid || anliegen.ErrorField(err) != tt.field {
				t.Fatalf("err %v, want invalid %s", err, tt.field)
			}
		})
	}
}

func TestSearchDropsHitsTheStoreNoLongerHas(t *testing.T) {
	src := newMemSource()
	src.put(1, doc(1, 0, "abfall", "Sperrmüll"))
	x := openTest(t, t.TempDir(), src)
	runIndexer(t, x, src)
	catchUp(t, x)
	// Change the store behind the indexer's back, as if it lagged.
	src.mu.Lock()
	d := src.docs[1][0]
	d.Department = "finanzen"
	src.docs[1] = []anliegen.IndexDoc{d}
	src.mu.Unlock()
	res := mustSearch(t, x, anliegen.SearchQuery{Q: "Sperrmüll", Scope: anliegen.Scope{Departments: []string{"abfall"}}})
	if len(res.Hits) != 0 {
		t.Fatalf("hit of a ticket now outside scope: %+v", res.Hits)
	}
}

func TestRebuildSwapsWhileSearching(t *testing.T) {
	src := newMemSource()
	for i := int64(1); i <= 50; i++ {
		src.put(i, doc(i, 0, "abfall", "Sperrmüll anmelden"), doc(i, 1, "abfall", "Bitte online anmelden."))
	}
	dir := t.TempDir()
	x := openTest(t, dir, src)
	runIndexer(t, x, src)
	catchUp(t, x)
	before, _ := readCurrent(dir)

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				res, err := x.Search(ctx, anliegen.SearchQuery{Q: "Sperrmüll", Scope: anliegen.ScopeAll})
				if err == nil && res.Total != 50 {
					err = errors.New("search during rebuild lost hits")
				}
				if err != nil && ctx.Err() == nil {
					errs <- err
					return
				}
			}
		}()
	}
	for range 3 {
		if err := x.Rebuild(context.Background(), src); err != nil {
			t.Fatal(err)
		}
		src.put(51, doc(51, 0, "abfall", "Bauschutt")) // written after the rebuild read its checkpoint
	}
	cancel()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	catchUp(t, x)
	after, _ := readCurrent(dir)
	if after == before {
		t.Fatalf("CURRENT still names %s", before)
	}
	entries, _ := os.ReadDir(dir)
	var dirs []string
	for _, e := range entries {
		if e.IsDir() {
			dirs = append(dirs, e.Name())
		}
	}
	if !slices.Equal(dirs, []string{after}) {
		t.Fatalf("index dirs %v, want only %s", dirs, after)
	}
	if n, _ := x.DocCount(); n != 101 {
		t.Fatalf("doc count %d, want 101", n)
	}
}

func TestOpenRemovesUnfinishedRebuild(t *testing.T) {
	src := newMemSource()
	dir := t.TempDir()
	x := openTest(t, dir, src)
	name := x.name
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(dir, "index-20000101T000000000000000")
	if err := os.MkdirAll(stale, 0o700); err != nil {
		t.Fatal(err)
	}
	x = openTest(t, dir, src)
	if x.name != name {
		t.Fatalf("opened %s, want %s", x.name, name)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Fatalf("stale index dir left: %v", err)
	}
}

func TestOpenWhileLocked(t *testing.T) {
	src := newMemSource()
	dir := t.TempDir()
	x := openTest(t, dir, src)
	opts := Options{Source: src, LockTimeout: 50 * time.Millisecond}
	for name, open := range map[string]func(context.Context, string, *slog.Logger, Options) (*Index, error){
		"Open": Open, "OpenReadOnly": OpenReadOnly,
	} {
		_, err := open(context.Background(), dir, testLogger(), opts)
		if anliegen.ErrorCode(err) != anliegen.EConflict {
			t.Errorf("%s of a held index: %v, want conflict", name, err)
		}
	}
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	ro, err := OpenReadOnly(context.Background(), dir, testLogger(), opts)
	if err != nil {
		t.Fatalf("read-only open of a free index: %v", err)
	}
	defer ro.Close()
	if _, err := ro.Search(context.Background(), anliegen.SearchQuery{Q: "x", Scope: anliegen.ScopeAll}); err != nil {
		t.Fatal(err)
	}
	if err := ro.Rebuild(context.Background(), src); err == nil {
		t.Fatal("rebuild of a read-only index")
	}
	if _, err := OpenReadOnly(context.Background(), t.TempDir(), testLogger(), opts); anliegen.ErrorCode(err) != anliegen.ENotFound {
		t.Fatalf("read-only open of no index: %v", err)
	}
}

func TestRunRebuildsOutdatedIndex(t *testing.T) {
	src := newMemSource()
	dir := t.TempDir()
	x := openTest(t, dir, src)
	src.put(1, doc(1, 0, "abfall", "Sperrmüll"))
	runIndexer(t, x, src)
	catchUp(t, x)
	// A mapping change bumps the version; Run must rebuild at start.
	x.mu.RLock()
	err := x.idx.SetInternal(keyVersion, []byte("0"))
	x.mu.RUnlock()
	if err != nil {
		t.Fatal(err)
	}
	if err := x.rebuildIfNeeded(context.Background(), src); err != nil {
		t.Fatal(err)
	}
	x.mu.RLock()
	v, _ := x.idx.GetInternal(keyVersion)
	x.mu.RUnlock()
	if string(v) != mappingVersion {
		t.Fatalf("version %q after rebuild", v)
	}
	if n, _ := x.DocCount(); n != 1 {
		t.Fatalf("doc count %d", n)
	}
}

func TestOpenReplacesDamagedIndex(t *testing.T) {
	src := newMemSource()
	src.put(1, doc(1, 0, "abfall", "Sperrmüll"))
	dir := t.TempDir()
	x := openTest(t, dir, src)
	name := x.name
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name, "index_meta.json"), []byte("{broken"), 0o600); err != nil {
		t.Fatal(err)
	}
	x = openTest(t, dir, src)
	if x.name == name {
		t.Fatal("damaged index opened again")
	}
	runIndexer(t, x, src)
	catchUp(t, x)
	if got := hitTickets(mustSearch(t, x, anliegen.SearchQuery{Q: "Sperrmüll", Scope: anliegen.ScopeAll})); !slices.Equal(got, []int64{1}) {
		t.Fatalf("after rebuild: tickets %v", got)
	}
	if _, err := os.Stat(filepath.Join(dir, name)); !os.IsNotExist(err) {
		t.Fatalf("damaged index left behind: %v", err)
	}
}
