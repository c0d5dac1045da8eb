package e2e

import (
	"testing"

	"github.com/chromedp/chromedp"
)

func TestSmoke(t *testing.T) {
	a := startApp(t, true)
	ctx := browser(t)
	login(t, ctx, a, "agent")
	run(t, ctx, "inbox rows", chromedp.WaitVisible(chromedp.CSS("table.tickets tbody tr")))
	shot(t, ctx, "inbox")
}
