package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// box is an element's place on screen.
type box struct {
	Left   float64 `json:"left"`
	Right  float64 `json:"right"`
	Top    float64 `json:"top"`
	Bottom float64 `json:"bottom"`
}

const composerBoxes = `(() => {
	const r = (sel) => { const b = document.querySelector(sel).getBoundingClientRect(); return {left: b.left, right: b.right, top: b.top, bottom: b.bottom}; };
	return [r("form.composer"), r("section.similar")];
})()`

// TestComposerTools checks what an agent has at hand when answering: the
// channel's real reply limit (the fake instance allows 777 characters, the
// built-in table says 500), colleagues in the assignee picker (from the
// staff directory; /users is for admins), and similar past answers beside
// the composer on a wide screen, below it on a narrow one, reused with
// Enter.
func TestComposerTools(t *testing.T) {
	a := startApp(t, true, func(c *appConfig) { c.Fake.MaxChars = 777 })
	citizen := a.Fake.AddAccount("uwe@nachbar.example", "Uwe Beispiel")
	if _, err := a.Fake.Mention(citizen, "Wann holt die Stadt den Sperrmüll in der Lindenallee ab? Ich habe einen alten Schrank."); err != nil {
		t.Fatalf("mention: %v", err)
	}
	waitIndexed(t, a, "Sperrmüll")
	ctx := browser(t)
	login(t, ctx, a, "agent")
	run(t, ctx, "open ticket",
		waitJS(rowsWith("Lindenallee")+" === 1"),
		key("j"),
		waitJS(`document.activeElement && document.activeElement.matches("a.open")`),
		key("\r"),
		chromedp.WaitVisible(chromedp.CSS("#composer-text")),
		waitJS(`document.querySelectorAll(".similar li button").length > 0`),
	)

	counter := eval[string](t, ctx, `document.getElementById("composer-counter").textContent`)
	if !strings.Contains(counter, "/ 777") {
		t.Errorf("counter %q, want the channel's limit 777", counter)
	}
	run(t, ctx, "staff directory", waitJS(`document.querySelectorAll("#act-assign option").length > 2`))
	names := eval[[]string](t, ctx, `[...document.querySelectorAll("#act-assign option")].map(o => o.textContent)`)
	if !strings.Contains(strings.Join(names, "|"), "(abfall)") {
		t.Errorf("assignee picker lacks colleagues: %v", names)
	}

	// 1366 px wide: the answers are to the right of the composer.
	b := eval[[]box](t, ctx, composerBoxes)
	if !(b[1].Left >= b[0].Right && b[1].Top < b[0].Bottom) {
		t.Errorf("at 1366 px similar answers %+v are not beside the composer %+v", b[1], b[0])
	}
	shot(t, ctx, "composer")
	run(t, ctx, "narrow window", chromedp.EmulateViewport(1000, 768),
		waitJS(`document.querySelector("section.similar").getBoundingClientRect().top >= document.querySelector("form.composer").getBoundingClientRect().bottom`))

	// Enter on the first reuse button puts that answer into the composer.
	answer := strings.TrimSuffix(eval[string](t, ctx, `document.querySelector(".similar .answer").textContent`), "…")
	run(t, ctx, "reuse by keyboard",
		chromedp.Focus(chromedp.CSS(".similar li button")),
		key("\r"),
		waitJS(`document.activeElement.id === "composer-text" && document.getElementById("composer-text").value.length > 0`),
	)
	if got := eval[string](t, ctx, `document.getElementById("composer-text").value`); !strings.HasPrefix(got, answer) {
		t.Errorf("composer holds %q, want the reused answer %q", got, answer)
	}
}
