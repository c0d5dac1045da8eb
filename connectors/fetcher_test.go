package connectors_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/anliegen/anliegen"
	"github.com/anliegen/anliegen/connectors/mastodon/mastodontest"
)

// TestRuntimeCoalescesPagesFetchedAhead: while a slow ingest runs, the
// worker fetches the next pages, and stores those ready in one
// transaction with the last page's cursor, within IngestMaxItems; every
// item arrives once and the cursor never runs ahead of the store.
func TestRuntimeCoalescesPagesFetchedAhead(t *testing.T) {
	r := newRig(t, 1, mastodontest.Options{})
	fake := r.fakes[0]
	want := postMentions(t, fake, 700) // 9 backfill pages
	pagesServed := func() int {
		n := 0
		for _, q := range fake.Requests() {
			if strings.HasSuffix(q.Path, "/notifications") {
				n++
			}
		}
		return n
	}
	var mu sync.Mutex
	var sizes []int
	r.db.setHooks(func(_ context.Context, _ int64, items []anliegen.Item, _ string) error {
		mu.Lock()
		sizes = append(sizes, len(items))
		first := len(sizes) == 1
		mu.Unlock()
		if first {
			// A slow store: hold the first page until the fetcher filled
			// its buffer and has one more page in hand.
			eventually(t, "pages fetched ahead", func() bool { return pagesServed() >= 5 })
		}
		return nil
	}, nil)
	rt := r.runtime(t, 21)
	run(t, rt)
	eventually(t, "backfill", r.allStored(t, 0, want))
	assertOnce(t, r.db.storedIDs(t, r.chs[0].ID), want)
	mu.Lock()
	defer mu.Unlock()
	largest := 0
	for _, n := range sizes {
		largest = max(largest, n)
	}
	if largest <= 80 || largest > 320 {
		t.Errorf("ingest sizes %v: want pages coalesced, up to 320 items", sizes)
	}
}
