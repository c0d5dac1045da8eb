package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/anliegen/anliegen"
)

// TestHostileContent feeds attacks through ingest and checks what the API
// returns: HTML fields hold no script, no event handler, no javascript:
// link, no direction override; every body is valid UTF-8 JSON.
func TestHostileContent(t *testing.T) {
	e := newEnv(t)
	agent := e.session(e.user("agent", anliegen.RoleAgent))
	ch := e.channel(anliegen.PlatformEmail)
	hostile := []anliegen.Item{
		e.item("Zebrafink <script>alert(1)</script>"),
		e.item("Zebrafink link"),
		e.item("Zebrafink rtl \u202egnp.exe"),
		e.item("Zebrafink kaputt \xff\xfe\xfd ende"),
		e.item("Zebrafink " + strings.Repeat("lang ", 200000)),
	}
	hostile[0].HTML = `<p>Hallo</p><script>alert(1)</script><img src=x onerror="alert(2)"><iframe src="https://evil.example"></iframe>`
	hostile[1].HTML = `<a href="javascript:alert(1)">klick</a><a href="JaVaScRiPt&#58;alert(1)">zwei</a><a href="data:text/html,<script>alert(1)</script>">drei</a><svg onload=alert(3)></svg>`
	hostile[2].HTML = "<p>Rechnung \u202eexe.pdf</p><p style=\"position:fixed\" onclick=\"x()\">\u2066isolate\u2069</p>"
	hostile[3].HTML = "<b>\xff\xfe</b><p>ok</p>"
	hostile[4].HTML = "<div>" + strings.Repeat("<b>lang</b>", 100000) + "</div>"
	var ids []int64
	for _, it := range hostile {
		it.Kind = anliegen.KindMail
		ids = append(ids, e.ticket(ch, "", it).ID)
	}
	e.reindex()

	bad := []string{"<script", "javascript:", "onerror", "onload", "onclick", "<iframe", "<svg", "\u202e", "\u2066", "data:text/html", "style="}
	check := func(what, html string) {
		t.Helper()
		low := strings.ToLower(html)
		for _, b := range bad {
			if strings.Contains(low, b) {
				t.Errorf("%s: HTML contains %q: %.200s", what, b, html)
			}
		}
		if !utf8.ValidString(html) {
			t.Errorf("%s: HTML is not valid UTF-8", what)
		}
	}
	for _, id := range ids {
		resp, raw := agent.do("GET", fmt.Sprintf("/api/v1/tickets/%d", id), nil)
		if resp.StatusCode != 200 || !json.Valid(raw) || !utf8.Valid(raw) {
			t.Fatalf("ticket %d: status %d, valid JSON %v, valid UTF-8 %v", id, resp.StatusCode, json.Valid(raw), utf8.Valid(raw))
		}
		var d anliegen.TicketDetail
		if err := json.Unmarshal(raw, &d); err != nil {
			t.Fatal(err)
		}
		for _, m := range d.Messages {
			check(fmt.Sprintf("ticket %d message %d", id, m.ID), m.HTML)
		}
	}
	var res anliegen.SearchResult
	resp, raw := agent.do("GET", "/api/v1/search?q=zebrafink&limit=100", nil)
	if resp.StatusCode != 200 || !utf8.Valid(raw) {
		t.Fatalf("search: %d", resp.StatusCode)
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Hits) == 0 {
		t.Fatal("search found none of the hostile messages")
	}
	for _, h := range res.Hits {
		check(fmt.Sprintf("snippet of message %d", h.MessageID), h.Snippet)
		if stripped := strings.NewReplacer("<mark>", "", "</mark>", "").Replace(h.Snippet); strings.ContainsAny(stripped, "<>") {
			t.Errorf("snippet has markup other than <mark>: %q", h.Snippet)
		}
	}
}

// TestSanitizer checks the API's own last line of defence directly, with
// input the store would already have cleaned.
func TestSanitizer(t *testing.T) {
	s := newSanitizer()
	cases := []struct{ in, mustNot, must string }{
		{`<a href="javascript:alert(1)">x</a>`, "javascript", "x"},
		{`<a href="https://stadt.example/a">Link</a>`, "onclick", `rel="nofollow noreferrer noopener"`},
		{`<img src=x onerror=alert(1)>`, "onerror", ""},
		{"a\u202eb", "\u202e", "ab"},
		{"a\xffb", "\xff", "a\ufffdb"},
	}
	for _, tc := range cases {
		got := s.Message(tc.in)
		if strings.Contains(got, tc.mustNot) || !strings.Contains(got, tc.must) {
			t.Errorf("Message(%q) = %q", tc.in, got)
		}
	}
	if got := s.Snippet(`<mark>Müll</mark> <b>fett</b> <script>x</script>`); got != `<mark>Müll</mark> fett ` {
		t.Errorf("Snippet kept more than <mark>: %q", got)
	}
}

// FuzzDecodeJSON: whatever the body, decode returns nil with the value
// filled, or a coded client error; it never panics and never answers
// internal.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`{"login":"a","password":"b"}`, `{"login":5}`, `{"x":1}`, `{}`, `[]`, `{"login":"a"}{}`, `{"login":"\ud800"}`, "", "nul", `{"login":"a","password":"b"`} {
		f.Add([]byte(s))
	}
	e := echo.New()
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		c := e.NewContext(req, httptest.NewRecorder())
		var v loginRequest
		err := decodeJSON(c, 1<<10, &v)
		if err == nil {
			if !json.Valid(body) {
				t.Fatalf("accepted invalid JSON %q", body)
			}
			return
		}
		switch anliegen.ErrorCode(err) {
		case anliegen.EBadRequest, anliegen.EInvalid:
		default:
			t.Fatalf("body %q: error %v has code %q", body, err, anliegen.ErrorCode(err))
		}
		if anliegen.ErrorMessage(err) == "" {
			t.Fatalf("body %q: error without message", body)
		}
	})
}

// FuzzTicketFilter: any query string yields a filter within bounds or an
// invalid error naming a parameter; never a panic, never internal.
func FuzzTicketFilter(f *testing.F) {
	for _, s := range []string{"status=new,open&limit=20", "limit=101", "created_from=2026-01-01&sort=priority", "mine=1&unassigned=yes", "channel=1,2,x", "tag=a&tag=b&cursor=zz", "%zz", "limit=-1&limit=5"} {
		f.Add(s)
	}
	s := New(Config{}, Deps{})
	e := echo.New()
	u := &anliegen.User{ID: 1, Login: "a", Role: anliegen.RoleDepartment, Departments: []string{"abfall"}}
	f.Fuzz(func(t *testing.T, query string) {
		req := httptest.NewRequest(http.MethodGet, "/api/v1/tickets", nil)
		req.URL.RawQuery = query
		q := req.URL.Query()
		q.Del("assignee") // resolving a login needs the store; TestErrorBodies covers it
		req.URL.RawQuery = q.Encode()
		c := e.NewContext(req, httptest.NewRecorder())
		flt, err := s.ticketFilter(c, u)
		if err != nil {
			if anliegen.ErrorCode(err) != anliegen.EInvalid || anliegen.ErrorField(err) == "" {
				t.Fatalf("query %q: error %v, want invalid with a field", query, err)
			}
			return
		}
		if flt.Limit < 1 || flt.Limit > 100 || flt.Scope.All || flt.ViewerID != 1 {
			t.Fatalf("query %q: filter %+v out of bounds", query, flt)
		}
		for _, st := range flt.Statuses {
			if !st.Valid() {
				t.Fatalf("query %q: status %q passed", query, st)
			}
		}
	})
}
