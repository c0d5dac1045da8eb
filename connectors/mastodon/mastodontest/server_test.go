package mastodontest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anliegen/anliegen/connectors/mastodon/mastodontest"
)

func call(t *testing.T, s *mastodontest.Server, method, path, token string, body url.Values, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, strings.NewReader(body.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func ids(t *testing.T, body []byte) []string {
	t.Helper()
	var page []struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(body, &page); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	var out []string
	for _, p := range page {
		out = append(out, p.ID)
	}
	return out
}

func TestNotificationsPaging(t *testing.T) {
	s := mastodontest.New(mastodontest.Options{})
	defer s.Close()
	tok := s.Town().Token
	resp, body := call(t, s, "GET", "/api/v1/notifications", tok, nil, nil)
	if resp.StatusCode != 200 || strings.TrimSpace(string(body)) != "[]" || resp.Header.Get("Link") != "" {
		t.Fatalf("empty page: %d %q Link %q", resp.StatusCode, body, resp.Header.Get("Link"))
	}
	anna := s.AddAccount("anna", "Anna")
	for range 5 {
		if _, err := s.Mention(anna, "hallo"); err != nil {
			t.Fatal(err)
		}
	}
	all := s.Notifications(s.Town().ID)
	_, body = call(t, s, "GET", "/api/v1/notifications?limit=2&min_id="+all[0].ID, tok, nil, nil)
	got := ids(t, body)
	// The page right after min_id, newest first.
	if len(got) != 2 || got[0] != all[2].ID || got[1] != all[1].ID {
		t.Fatalf("min_id page = %v, want [%s %s]", got, all[2].ID, all[1].ID)
	}
	resp, body = call(t, s, "GET", "/api/v1/notifications?limit=2", tok, nil, nil)
	got = ids(t, body)
	link := resp.Header.Get("Link")
	if len(got) != 2 || got[0] != all[4].ID || !strings.Contains(link, `max_id=`+all[3].ID+`>; rel="next"`) ||
		!strings.Contains(link, `min_id=`+all[4].ID+`>; rel="prev"`) {
		t.Fatalf("newest page = %v, Link %q", got, link)
	}
	// A direct message is filtered unless include_filtered=true.
	if _, err := s.DirectMessage(anna, "geheim"); err != nil {
		t.Fatal(err)
	}
	_, body = call(t, s, "GET", "/api/v1/notifications?limit=1", tok, nil, nil)
	if ids(t, body)[0] != all[4].ID {
		t.Fatal("a filtered direct mention was served without include_filtered")
	}
	_, body = call(t, s, "GET", "/api/v1/notifications?limit=1&include_filtered=true", tok, nil, nil)
	if ids(t, body)[0] == all[4].ID {
		t.Fatal("include_filtered=true did not serve the direct mention")
	}
}

func TestRateLimitAndErrors(t *testing.T) {
	var now atomic.Pointer[time.Time]
	start := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	now.Store(&start)
	s := mastodontest.New(mastodontest.Options{RateLimit: 2, Now: func() time.Time { return *now.Load() }})
	defer s.Close()
	tok := s.Town().Token
	if resp, _ := call(t, s, "GET", "/api/v1/accounts/verify_credentials", "wrong", nil, nil); resp.StatusCode != 401 {
		t.Fatalf("wrong token: %d", resp.StatusCode)
	}
	call(t, s, "GET", "/api/v1/notifications", tok, nil, nil)
	resp, _ := call(t, s, "GET", "/api/v1/notifications", tok, nil, nil)
	if resp.Header.Get("X-RateLimit-Remaining") != "0" || resp.Header.Get("X-RateLimit-Reset") != "2026-03-01T10:05:00.000000Z" {
		t.Fatalf("headers %v", resp.Header)
	}
	resp, body := call(t, s, "GET", "/api/v1/notifications", tok, nil, nil)
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "" || !strings.Contains(string(body), "Too many requests") {
		t.Fatalf("exhausted: %d %s %v", resp.StatusCode, body, resp.Header)
	}
	later := start.Add(5 * time.Minute)
	now.Store(&later)
	if resp, _ := call(t, s, "GET", "/api/v1/notifications", tok, nil, nil); resp.StatusCode != 200 {
		t.Fatalf("after the reset: %d", resp.StatusCode)
	}
	resp, body = call(t, s, "POST", "/api/v1/statuses", tok, url.Values{"status": {strings.Repeat("x", 501)}}, nil)
	if resp.StatusCode != 422 || !strings.Contains(string(body), "character limit of 500") {
		t.Fatalf("too long: %d %s", resp.StatusCode, body)
	}
}

func TestIdempotencyKey(t *testing.T) {
	s := mastodontest.New(mastodontest.Options{})
	defer s.Close()
	post := func() string {
		_, body := call(t, s, "POST", "/api/v1/statuses", s.Town().Token, url.Values{"status": {"Hallo"}}, map[string]string{"Idempotency-Key": "k1"})
		var st struct{ ID string }
		_ = json.Unmarshal(body, &st)
		return st.ID
	}
	a, b := post(), post()
	if a == "" || a != b || len(s.StatusesBy(s.Town().ID)) != 1 {
		t.Fatalf("replay gave %q and %q, %d statuses", a, b, len(s.StatusesBy(s.Town().ID)))
	}
}

func TestGoToSocial(t *testing.T) {
	s := mastodontest.New(mastodontest.Options{GoToSocial: true})
	defer s.Close()
	st, err := s.Mention(s.AddAccount("anna", "Anna"), "hallo")
	if err != nil || len(st.ID) != 26 || strings.Trim(st.ID, "0123456789ABCDEFGHJKMNPQRSTVWXYZ") != "" {
		t.Fatalf("id %q (%v), want a ULID", st.ID, err)
	}
	s.Inject(mastodontest.FaultUnavailable, 1)
	resp, _ := call(t, s, "GET", "/api/v1/notifications", s.Town().Token, nil, nil)
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") != "30" {
		t.Fatalf("overload: %d %v", resp.StatusCode, resp.Header)
	}
	s.Inject(mastodontest.FaultRateLimited, 1)
	_, body := call(t, s, "GET", "/api/v1/notifications", s.Town().Token, nil, nil)
	if !strings.Contains(string(body), "rate limit reached") {
		t.Fatalf("429 body %s", body)
	}
	if err := s.Delete(st.ID); err != nil {
		t.Fatal(err)
	}
	if resp, _ := call(t, s, "GET", "/api/v1/statuses/"+st.ID, s.Town().Token, nil, nil); resp.StatusCode != 404 {
		t.Fatalf("deleted status: %d", resp.StatusCode)
	}
}
