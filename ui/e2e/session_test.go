package e2e

import (
	"context"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// TestSessionExpired ends the session on the server while the app is open:
// the next request brings the login page with the reason instead of an
// error in the view, and logging in again returns to the same view.
func TestSessionExpired(t *testing.T) {
	a := startApp(t, true)
	ctx := browser(t)
	login(t, ctx, a, "agent")
	run(t, ctx, "inbox loaded", inboxReady)

	var tokens []string
	run(t, ctx, "read the session cookie", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		res, err := cdp.Call(ctx, tg, network.GetCookies, network.GetCookiesParams{URLs: []string{a.URL}})
		if err != nil {
			return err
		}
		for _, c := range res.Cookies {
			if c.HTTPOnly {
				tokens = append(tokens, c.Value)
			}
		}
		return nil
	}))
	revoked := 0
	for _, tok := range tokens {
		if err := a.DB.DeleteSession(context.Background(), tok); err == nil {
			revoked++
		}
	}
	if revoked == 0 {
		t.Fatalf("no session cookie among %d HttpOnly cookies", len(tokens))
	}

	run(t, ctx, "search after the session ended",
		key("/"),
		waitJS(`document.activeElement && document.activeElement.id === "search-q"`),
		key("Laterne\r"),
		chromedp.WaitVisible(chromedp.CSS("#login-expired")),
	)
	if got := eval[string](t, ctx, `document.getElementById("login-expired").textContent`); got != "Ihre Sitzung ist abgelaufen. Bitte melden Sie sich erneut an." {
		t.Errorf("expiry message %q", got)
	}
	focused(t, ctx, "login after expiry", "#login")
	run(t, ctx, "log in again", key("agent\t"), key(password+"\r"), chromedp.WaitVisible(chromedp.CSS("#search-h")),
		waitJS(`location.hash.includes("q=Laterne") && document.querySelector(".hits")`))
}
