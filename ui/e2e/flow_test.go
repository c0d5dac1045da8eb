package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/anliegen/anliegen"
)

// rowsWith is a JS expression: how many inbox rows contain text.
func rowsWith(text string) string {
	return fmt.Sprintf(`[...document.querySelectorAll("table.tickets tbody tr")].filter(r => r.textContent.includes(%q)).length`, text)
}

// inboxReady waits until the inbox list has loaded, empty or not.
var inboxReady = waitJS(`document.getElementById("inbox-h") && !document.querySelector(".list [role=status]")`)

// waitJS polls a JS predicate until it is truthy.
func waitJS(expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(90*time.Second))(ctx, t)
		return err
	})
}

func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// key types keys the way a physical keyboard does: one keyDown that
// carries the text, then keyUp. chromedp.KeyEvent sends the text as a
// separate "char" event, which a keydown handler's preventDefault cannot
// cancel; when the handler moves focus (r focuses the composer) the char
// then lands in the newly focused field, depending on timing. A real
// keyboard's keydown and its text are one event in Chromium, so a
// cancelled shortcut never types its letter.
func key(keys string, opts ...chromedp.KeyOption) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		for _, r := range keys {
			var down, up *input.DispatchKeyEventParams
			text := ""
			for _, k := range kb.Encode(r) {
				for _, o := range opts {
					o(k)
				}
				switch k.Type {
				case kb.KeyDown:
					down = k
				case kb.KeyUp:
					up = k
				case kb.KeyChar:
					text = k.Text
				}
			}
			// With Ctrl, Alt or Meta held a key types nothing.
			if down.Modifiers&^int64(chromedp.ModifierShift) == 0 {
				down.Text, down.UnmodifiedText = text, text
			}
			for _, k := range []*input.DispatchKeyEventParams{down, up} {
				if _, err := cdp.Call(ctx, t, input.DispatchKeyEvent, *k); err != nil {
					return fmt.Errorf("key %q: %w", r, err)
				}
			}
		}
		return nil
	})
}

// ticketByText finds the ticket whose first message has text, via the store.
func ticketByText(t *testing.T, a *app, text string) anliegen.Ticket {
	t.Helper()
	page, err := a.DB.ListTickets(context.Background(), anliegen.TicketFilter{Scope: anliegen.ScopeAll, Limit: 20})
	if err != nil {
		t.Fatalf("list tickets: %v", err)
	}
	for _, tk := range page.Items {
		if strings.Contains(tk.Preview, text) || strings.Contains(tk.Subject, text) {
			return tk
		}
	}
	t.Fatalf("no ticket with %q", text)
	return anliegen.Ticket{}
}

// focusVisible is a JS expression: empty when the focused element shows a
// focus indicator (an outline of at least 2 px or a box shadow), else what
// is wrong. It reads computed styles, so it sees what the user sees.
const focusVisible = `(() => {
	const el = document.activeElement;
	if (!el || el === document.body) return "nothing focused";
	const s = getComputedStyle(el);
	if (s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 2) return "";
	if (s.boxShadow && s.boxShadow !== "none") return "";
	return "no visible focus on " + el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.className ? "." + el.className : "");
})()`

// focused waits until the element matching sel has keyboard focus and
// fails the test unless that focus is visible.
func focused(t *testing.T, ctx context.Context, step, sel string) {
	t.Helper()
	run(t, ctx, step+": focus on "+sel, waitJS(fmt.Sprintf(`document.activeElement && document.activeElement.matches(%q)`, sel)))
	if msg := eval[string](t, ctx, focusVisible); msg != "" {
		shot(t, ctx, "failure-focus")
		t.Fatalf("%s: %s", step, msg)
	}
}

// TestMainFlow is the front office's day, driven by the keyboard alone (no
// click anywhere, login and search included), with visible focus checked
// at every step: a Mastodon mention arrives live, is opened, routed and
// answered with a canned answer, and the reply is sent; then the abfall
// department sees it in its inbox and in search, and kfz sees it in neither.
func TestMainFlow(t *testing.T) {
	a := startApp(t, true)
	ctx := browser(t)
	login(t, ctx, a, "agent")
	run(t, ctx, "inbox loaded", inboxReady)
	// Logging in lands on the inbox heading, so j/k and / work at once.
	focused(t, ctx, "after login", "#inbox-h")

	const marker = "Sperrgutlager"
	text := "Hallo Stadt, am Spielplatz Lindenhof steht seit Tagen ein " + marker + " mit alten Möbeln. Wer räumt das weg?"
	citizen := a.Fake.AddAccount("erika@nachbar.example", "Erika Muster")
	if _, err := a.Fake.Mention(citizen, text); err != nil {
		t.Fatalf("mention: %v", err)
	}
	// No reload: the row arrives over the websocket.
	run(t, ctx, "new row appears live", waitJS(rowsWith(marker)+" === 1"))
	first := eval[string](t, ctx, `document.querySelector("table.tickets tbody tr").textContent`)
	if !strings.Contains(first, marker) {
		t.Fatalf("new ticket is not on top: %q", first)
	}
	run(t, ctx, "live region announces the ticket", waitJS(`document.getElementById("live").textContent.includes("Neues Anliegen")`))
	shot(t, ctx, "inbox")

	// j focuses the first row, Enter opens it.
	run(t, ctx, "j", key("j"))
	focused(t, ctx, "j on the inbox", "table.tickets tbody tr:first-child a.open")
	run(t, ctx, "open by keyboard",
		key("\r"),
		chromedp.WaitVisible(chromedp.CSS("#ticket-h")),
		waitJS(`document.querySelector(".msg.in") && document.querySelector(".msg.in").textContent.includes(`+fmt.Sprintf("%q", marker)+`)`),
	)
	tk := ticketByText(t, a, marker)
	if tk.Department == "abfall" {
		t.Fatalf("precondition: a rule routed the ticket to abfall already")
	}

	// d focuses the department select; Home and Down pick the first
	// department (Abfallwirtschaft, after "nicht zugeordnet"); Enter
	// applies and hands focus back to the heading for the next shortcut.
	run(t, ctx, "d", key("d"))
	focused(t, ctx, "d on the ticket", "#act-dept")
	run(t, ctx, "route to abfall",
		key(kb.Home),
		key(kb.ArrowDown),
		waitJS(`document.getElementById("act-dept").value === "abfall"`),
		key("\r"),
	)
	focused(t, ctx, "after routing", "#ticket-h")
	waitStore(t, "ticket routed to abfall", func() (bool, error) {
		got, err := a.DB.Ticket(context.Background(), tk.ID)
		return got.Department == "abfall", err
	})
	run(t, ctx, "history shows routing", waitJS(`document.querySelector(".history").textContent.includes("zugeordnet")`))

	// r opens the composer; "/dank" opens the canned answers, Enter
	// inserts the first with the citizen's name; Ctrl+Enter sends.
	run(t, ctx, "r", key("r"))
	focused(t, ctx, "r on the ticket", "#composer-text")
	run(t, ctx, "canned answers",
		key("/dank"),
		waitJS(`document.getElementById("canned-list") && document.getElementById("composer-text").value === "/dank"`),
	)
	focused(t, ctx, "canned answers open", "#composer-text")
	run(t, ctx, "insert canned answer",
		key("\r"),
		waitJS(`document.getElementById("composer-text").value.startsWith("Hallo Erika Muster, vielen Dank")`),
	)
	focused(t, ctx, "canned answer inserted", "#composer-text")
	run(t, ctx, "send with Ctrl+Enter",
		key("\r", chromedp.KeyModifiers(chromedp.ModifierCtrl)),
		waitJS(`[...document.querySelectorAll(".msg.out .state")].some(s => s.dataset.state === "sent")`),
	)
	shot(t, ctx, "ticket")
	waitStore(t, "reply on the Mastodon instance", func() (bool, error) {
		for _, st := range a.Fake.StatusesBy(a.Fake.Town().ID) {
			if strings.Contains(st.Text, "vielen Dank für Ihren Hinweis") {
				return true, nil
			}
		}
		return false, nil
	})

	// The abfall department sees the ticket in its inbox and in search;
	// kfz sees it in neither. Each logs in fresh, after the routing, so
	// the first list the server sends is the answer.
	waitIndexed(t, a, marker)
	for _, c := range []struct {
		login string
		sees  bool
	}{{"abfall", true}, {"kfz", false}} {
		bctx := browser(t)
		login(t, bctx, a, c.login)
		run(t, bctx, c.login+" inbox", inboxReady)
		if n := eval[int](t, bctx, rowsWith(marker)); (n == 1) != c.sees {
			t.Errorf("%s: inbox rows with the ticket = %d, want seen=%v", c.login, n, c.sees)
		}
		focused(t, bctx, c.login+" inbox", "#inbox-h")
		run(t, bctx, c.login+" /", key("/"))
		focused(t, bctx, c.login+" search", "#search-q")
		run(t, bctx, c.login+" search",
			key(marker+"\r"),
			// The result list and its status line appear together once
			// the answer for this query is in.
			waitJS(`document.querySelector(".hits") && new URLSearchParams(location.hash.split("?")[1]).get("q") === `+fmt.Sprintf("%q", marker)),
		)
		hits := eval[int](t, bctx, fmt.Sprintf(`[...document.querySelectorAll(".hits li")].filter(l => l.textContent.includes(%q)).length`, tk.Number))
		if (hits > 0) != c.sees {
			t.Errorf("%s: search hits for the ticket = %d, want seen=%v", c.login, hits, c.sees)
		}
	}
}

// waitStore polls cond, which looks at the server side, for up to a minute.
func waitStore(t *testing.T, what string, cond func() (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		ok, err := cond()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within a minute", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestSearchTypo searches the imported inquiries with a misspelling.
func TestSearchTypo(t *testing.T) {
	a := startApp(t, true)
	waitIndexed(t, a, "Personalausweis")
	ctx := browser(t)
	login(t, ctx, a, "agent")
	run(t, ctx, "search by keyboard",
		key("/"),
		chromedp.WaitVisible(chromedp.CSS("#search-q")),
		waitJS(`document.activeElement.id === "search-q"`),
		key("personalausweiss\r"),
		waitJS(`document.querySelector(".hits li")`),
	)
	marks := eval[[]string](t, ctx, `[...document.querySelectorAll(".hits mark")].map(m => m.textContent)`)
	ok := false
	for _, m := range marks {
		if strings.HasPrefix(strings.ToLower(m), "personalausweis") {
			ok = true
		}
	}
	if !ok {
		t.Fatalf("no highlighted Personalausweis in the hits: %v", marks)
	}
	shot(t, ctx, "search")
	// Enter on the unchanged query opens the first hit.
	run(t, ctx, "open first hit with Enter",
		chromedp.Focus(chromedp.CSS("#search-q")),
		key("\r"),
		chromedp.WaitVisible(chromedp.CSS("#ticket-h")),
	)
}

// TestReconnect cuts the browser's connections while tickets arrive: after
// the automatic reconnect every ticket is listed exactly once.
func TestReconnect(t *testing.T) {
	a := startApp(t, true)
	p := startProxy(t, strings.TrimPrefix(a.URL, "http://"))
	ctx := browser(t)
	a.URL = p.URL()
	login(t, ctx, a, "agent")
	run(t, ctx, "inbox loaded", inboxReady)
	citizen := a.Fake.AddAccount("max@nachbar.example", "Max Muster")
	post := func(i int) {
		if _, err := a.Fake.Mention(citizen, fmt.Sprintf("Frage Nummer Reconnect%02d zur Straßenlaterne", i)); err != nil {
			t.Fatalf("mention: %v", err)
		}
	}
	post(1)
	run(t, ctx, "first arrives", waitJS(rowsWith("Reconnect01")+" === 1"))
	p.cut(true)
	run(t, ctx, "offline banner", chromedp.WaitVisible(chromedp.CSS(".banner.offline")))
	for i := 2; i <= 4; i++ {
		post(i)
	}
	// The poller ingests them while the browser is cut off.
	waitStore(t, "tickets stored while offline", func() (bool, error) {
		page, err := a.DB.ListTickets(context.Background(), anliegen.TicketFilter{Scope: anliegen.ScopeAll, Limit: 20})
		if err != nil {
			return false, err
		}
		n := 0
		for _, tk := range page.Items {
			if strings.Contains(tk.Preview, "Reconnect0") {
				n++
			}
		}
		return n == 4, nil
	})
	p.restore()
	run(t, ctx, "reconnected", chromedp.WaitVisible(chromedp.CSS(".banner.online")))
	post(5)
	run(t, ctx, "all arrive", waitJS(rowsWith("Reconnect05")+" === 1 && "+rowsWith("Reconnect04")+" === 1"))
	time.Sleep(time.Second)
	for i := 1; i <= 5; i++ {
		if n := eval[int](t, ctx, rowsWith(fmt.Sprintf("Reconnect%02d", i))); n != 1 {
			t.Errorf("Reconnect%02d listed %d times, want 1", i, n)
		}
	}
	ids := eval[[]string](t, ctx, `[...document.querySelectorAll("table.tickets tbody tr")].map(r => r.dataset.id)`)
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			t.Errorf("ticket %s listed twice", id)
		}
		seen[id] = true
	}
}
