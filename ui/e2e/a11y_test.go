package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// axeSource returns axe-core's browser build from ui/node_modules (npm ci
// installs it; make test runs that first).
func axeSource(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "node_modules", "axe-core", "axe.min.js"))
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("axe-core missing (run npm ci in ui): %v", err)
		}
		t.Skipf("axe-core missing, run npm ci in ui: %v", err)
	}
	return string(b)
}

// violation is what axe reports, reduced to what a failure message needs.
type violation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// checkA11y runs axe on the current page and fails on serious or critical
// violations. DevTools evaluation is not subject to the page's CSP, so the
// app keeps its script-src 'self'.
func checkA11y(t *testing.T, ctx context.Context, axe, page string) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](axe+";0")); err != nil {
		t.Fatalf("%s: inject axe: %v", page, err)
	}
	res, err := chromedp.Run(ctx, chromedp.Evaluate[struct {
		Passes     int         `json:"passes"`
		Violations []violation `json:"violations"`
	}](`axe.run(document).then(r => ({passes: r.passes.length,
		violations: r.violations.map(v => ({id: v.id, impact: v.impact || "", help: v.help, nodes: v.nodes.slice(0, 3).map(n => n.target.join(" "))}))}))`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s: axe.run: %v", page, err)
	}
	if res.Passes < 10 {
		t.Fatalf("%s: axe checked only %d rules: did it run on the app?", page, res.Passes)
	}
	vs := res.Violations
	var bad []string
	for _, v := range vs {
		if v.Impact == "serious" || v.Impact == "critical" {
			bad = append(bad, fmt.Sprintf("%s (%s): %s at %s", v.ID, v.Impact, v.Help, strings.Join(v.Nodes, ", ")))
		} else {
			t.Logf("%s: minor: %s (%s)", page, v.ID, v.Impact)
		}
	}
	if len(bad) > 0 {
		t.Errorf("%s: %d serious or critical accessibility violations:\n%s", page, len(bad), strings.Join(bad, "\n"))
	}
}

// TestAccessibility checks with axe-core the login page, inbox, ticket
// (as loaded, with the composer focused, and with the canned-answer popup
// open), search, the shortcut dialog, every admin tab and the department
// view.
func TestAccessibility(t *testing.T) {
	axe := axeSource(t)
	a := startApp(t, true)
	citizen := a.Fake.AddAccount("jo@nachbar.example", "Jo Beispiel")
	if _, err := a.Fake.Mention(citizen, "Wann wird in der Gartenstraße 12 der Sperrmüll abgeholt? Tel. 0171 2345678"); err != nil {
		t.Fatalf("mention: %v", err)
	}
	ctx := browser(t)
	run(t, ctx, "login page", chromedp.Navigate(a.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#login")))
	checkA11y(t, ctx, axe, "login")
	login(t, ctx, a, "admin")
	run(t, ctx, "inbox", waitJS(rowsWith("Gartenstraße")+" === 1"))
	checkA11y(t, ctx, axe, "inbox")
	run(t, ctx, "ticket",
		key("j"),
		waitJS(`document.activeElement && document.activeElement.matches("a.open")`),
		key("\r"),
		chromedp.WaitVisible(chromedp.CSS(".msg")),
		waitJS(`document.querySelector(".similar") && !document.querySelector(".similar").textContent.includes("Lädt")`),
	)
	checkA11y(t, ctx, axe, "ticket")
	run(t, ctx, "composer", key("r"), waitJS(`document.activeElement.id === "composer-text"`))
	checkA11y(t, ctx, axe, "ticket with composer")
	run(t, ctx, "canned-answer popup", key("/"), waitJS(`document.querySelectorAll("#canned-list [role=option]").length > 1`))
	checkA11y(t, ctx, axe, "ticket with canned-answer popup")
	run(t, ctx, "close popup", key(kb.Backspace), chromedp.WaitNotPresent(chromedp.CSS("#canned-list")), key(kb.Escape))
	waitIndexed(t, a, "Sperrmüll")
	run(t, ctx, "search", chromedp.Navigate(a.URL+"/#/search?q=Sperrm%C3%BCll"), waitJS(`document.querySelector(".hits li")`))
	checkA11y(t, ctx, axe, "search")
	run(t, ctx, "shortcut dialog", chromedp.Evaluate[chromedp.Void](`document.activeElement && document.activeElement.blur()`), key("?"), chromedp.WaitVisible(chromedp.CSS("dialog[open]")))
	checkA11y(t, ctx, axe, "shortcut dialog")
	run(t, ctx, "close dialog", key(kb.Escape), chromedp.WaitNotPresent(chromedp.CSS("dialog[open]")))
	for _, tab := range []string{"users", "departments", "rules", "canned", "channels", "stats"} {
		run(t, ctx, "admin "+tab, chromedp.Navigate(a.URL+"/#/admin/"+tab),
			waitJS(`document.getElementById("admin-h") && document.querySelector(".admin-tabs a[aria-current=page]").getAttribute("href").endsWith("/`+tab+`")`),
			waitJS(`!document.querySelector("main [role=status]") || !document.querySelector("main [role=status]").textContent.includes("Lädt")`),
			waitJS(`document.querySelector("main table tbody tr, main .empty, main dl")`))
		checkA11y(t, ctx, axe, "admin "+tab)
	}

	dctx := browser(t)
	login(t, dctx, a, "abfall")
	run(t, dctx, "department view", chromedp.Navigate(a.URL+"/#/department"), chromedp.WaitVisible(chromedp.CSS("#dept-h")),
		waitJS(`!document.querySelector("main [role=status]")`))
	checkA11y(t, dctx, axe, "department view")
	// j moves through the department's rows as in the inbox.
	run(t, dctx, "j in the department view", chromedp.Evaluate[chromedp.Void](`document.activeElement && document.activeElement.blur()`), key("j"))
	focused(t, dctx, "j in the department view", "table.tickets tbody tr:first-child a.open")
}
