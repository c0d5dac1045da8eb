package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/anliegen/anliegen"
	"github.com/anliegen/anliegen/storage"
)

// TestInboxFirstPaint loads the inbox of a store with 1,000 open tickets
// (imported, so resolved: the view filters on that status) and logs, in the browser's own clock, how long from navigation start
// until the first page of rows is on screen. It asserts what was drawn,
// not how fast (speed is recorded in docs/BENCHMARKS.md, not enforced).
func TestInboxFirstPaint(t *testing.T) {
	a := startApp(t, true)
	recs := make([]storage.HistoryRecord, 1000)
	now := time.Now()
	for i := range recs {
		recs[i] = storage.HistoryRecord{ID: fmt.Sprintf("perf-%04d", i), Platform: anliegen.PlatformMastodon, Kind: anliegen.KindComment,
			Author: "Bürger " + fmt.Sprint(i), Text: fmt.Sprintf("Lasttest Anliegen %04d: Wann wird die Straßenlaterne repariert?", i),
			Department: "verkehr", Priority: anliegen.PriorityNormal, Lang: "de", CreatedAt: now.Add(-time.Duration(i) * time.Minute)}
	}
	if _, err := a.DB.ImportHistory(context.Background(), recs); err != nil {
		t.Fatalf("import: %v", err)
	}
	ctx := browser(t)
	login(t, ctx, a, "agent")
	// paint loads the inbox at hash and returns performance.now() at the
	// first animation frame after ready holds: from navigation start, in
	// the browser's clock.
	paint := func(i int, hash, ready string) float64 {
		run(t, ctx, "reload inbox", chromedp.Navigate(a.URL+"/?r="+fmt.Sprint(i)+hash), waitJS(ready))
		ms, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`new Promise(r => requestAnimationFrame(() => r(performance.now())))`, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatal(err)
		}
		return ms
	}
	// The anchor is the same page with a filter that matches nothing
	// (closed tickets): session check, departments and one list request,
	// without the rows.
	var best, anchor float64
	for i := 0; i < 3; i++ {
		ms := paint(2*i, "#/?status=resolved", `document.querySelectorAll("table.tickets tbody tr").length >= 50`)
		if i == 0 || ms < best {
			best = ms
		}
		empty := paint(2*i+1, "#/?status=closed", `document.getElementById("inbox-h") && !document.querySelector(".list [role=status]")`)
		if i == 0 || empty < anchor {
			anchor = empty
		}
		t.Logf("inbox first paint, 50 of 1000 tickets: %.0f ms; empty list: %.0f ms", ms, empty)
	}
	run(t, ctx, "list again", chromedp.Navigate(a.URL+"/#/?status=resolved"), waitJS(`document.querySelectorAll("table.tickets tbody tr").length >= 50`))
	n := eval[int](t, ctx, `document.querySelectorAll("table.tickets tbody tr").length`)
	if n != 50 {
		t.Errorf("first page shows %d rows, want 50", n)
	}
	t.Logf("best: %.0f ms with 1000 tickets, %.0f ms empty (ratio %.2f)", best, anchor, best/anchor)
}
