package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/anliegen/anliegen"
)

func TestUserAdministration(t *testing.T) {
	e := newEnv(t)
	e.department("abfall")
	admin := e.session(e.user("admin", anliegen.RoleAdmin))
	var u anliegen.User
	admin.mustJSON("POST", "/api/v1/users", map[string]any{"login": "neu", "name": "Neu", "role": "department",
		"departments": []string{"abfall"}, "password": testPassword}, 201, &u)
	if u.ID == 0 || u.Role != anliegen.RoleDepartment {
		t.Fatalf("created %+v", u)
	}
	resp, raw := admin.do("POST", "/api/v1/users", map[string]any{"login": "neu", "name": "Neu", "role": "agent", "password": testPassword})
	wantError(t, resp, raw, 409, anliegen.EConflict, "")
	resp, raw = admin.do("POST", "/api/v1/users", map[string]any{"login": "dep", "name": "Dep", "role": "department", "password": testPassword})
	wantError(t, resp, raw, 422, anliegen.EInvalid, "departments")

	var list items[anliegen.User]
	admin.mustJSON("GET", "/api/v1/users", nil, 200, &list)
	if len(list.Items) != 2 {
		t.Fatalf("users: %+v", list.Items)
	}
	neu := e.session(u)
	var up anliegen.User
	admin.mustJSON("PATCH", fmt.Sprintf("/api/v1/users/%d", u.ID), map[string]any{"role": "agent", "departments": []string{}}, 200, &up)
	if up.Role != anliegen.RoleAgent {
		t.Fatalf("after role change: %+v", up)
	}
	var sess sessionResponse
	neu.mustJSON("GET", "/api/v1/session", nil, 200, &sess)
	if sess.User.Role != anliegen.RoleAgent {
		t.Fatal("the role change did not reach the open session")
	}
	// Disabling ends the user's sessions at once.
	admin.mustJSON("PATCH", fmt.Sprintf("/api/v1/users/%d", u.ID), map[string]any{"disabled": true}, 200, nil)
	resp, raw = neu.do("GET", "/api/v1/session", nil)
	wantError(t, resp, raw, 401, anliegen.EUnauthorized, "")
	// A password reset by the admin.
	admin.mustJSON("PATCH", fmt.Sprintf("/api/v1/users/%d", u.ID), map[string]any{"disabled": false, "password": "ganz-neues-passwort"}, 200, nil)
	if _, err := e.db.Authenticate(e.ctx, "neu", "ganz-neues-passwort"); err != nil {
		t.Fatalf("password reset: %v", err)
	}
	// Own name and language.
	var me sessionResponse
	neu2 := e.session(u)
	neu2.mustJSON("PATCH", "/api/v1/me", map[string]any{"name": "Neu Name", "lang": "en"}, 200, &me)
	if me.User.Name != "Neu Name" || me.User.Lang != "en" || me.CSRFToken != neu2.csrf {
		t.Fatalf("PATCH /me: %+v", me)
	}
	resp, raw = neu2.do("PATCH", "/api/v1/me", map[string]any{"lang": "fr"})
	wantError(t, resp, raw, 422, anliegen.EInvalid, "lang")
	resp, raw = neu2.do("PATCH", "/api/v1/me", map[string]any{"role": "admin"})
	wantError(t, resp, raw, 400, anliegen.EBadRequest, "role")
}

func TestDepartmentsRulesCanned(t *testing.T) {
	e := newEnv(t)
	admin := e.session(e.user("admin", anliegen.RoleAdmin))
	admin.mustJSON("POST", "/api/v1/departments", map[string]string{"id": "abfall", "name": "Abfallwirtschaft"}, 201, nil)
	admin.mustJSON("POST", "/api/v1/departments", map[string]string{"id": "bauamt", "name": "Bauamt"}, 201, nil)
	admin.mustJSON("PATCH", "/api/v1/departments/bauamt", map[string]string{"name": "Bauaufsicht"}, 200, nil)
	agent := e.session(e.user("agent", anliegen.RoleAgent))
	dep := e.session(e.user("dep", anliegen.RoleDepartment, "abfall"))
	var ds items[anliegen.Department]
	dep.mustJSON("GET", "/api/v1/departments", nil, 200, &ds)
	if len(ds.Items) != 2 || ds.Items[1].Name != "Bauaufsicht" {
		t.Fatalf("departments: %+v", ds.Items)
	}
	resp, raw := dep.do("POST", "/api/v1/departments", map[string]string{"id": "x", "name": "X"})
	wantError(t, resp, raw, 403, anliegen.EForbidden, "")

	var r1, r2 anliegen.Rule
	admin.mustJSON("POST", "/api/v1/rules", map[string]any{"name": "Sperrmüll", "enabled": true, "keywords": []string{"sperrmüll"}, "department": "abfall"}, 201, &r1)
	admin.mustJSON("POST", "/api/v1/rules", map[string]any{"name": "Bau", "enabled": true, "keywords": []string{"bau"}, "department": "bauamt", "priority": "high"}, 201, &r2)
	var hit ruleTestResponse
	admin.mustJSON("POST", "/api/v1/rules/test", map[string]any{"text": "Wann ist der Sperrmülltermin?", "platform": "mastodon"}, 200, &hit)
	if hit.Rule == nil || hit.Rule.ID != r1.ID {
		t.Fatalf("rule test: %+v", hit.Rule)
	}
	r1.Enabled = false
	admin.mustJSON("PATCH", fmt.Sprintf("/api/v1/rules/%d", r1.ID), r1, 200, nil)
	hit = ruleTestResponse{}
	admin.mustJSON("POST", "/api/v1/rules/test", map[string]any{"text": "Wann ist der Sperrmülltermin?"}, 200, &hit)
	if hit.Rule != nil {
		t.Fatalf("a disabled rule matched: %+v", hit.Rule)
	}
	var rules items[anliegen.Rule]
	admin.mustJSON("GET", "/api/v1/rules", nil, 200, &rules)
	if len(rules.Items) != 2 || rules.Items[0].Position > rules.Items[1].Position {
		t.Fatalf("rules not in order: %+v", rules.Items)
	}
	admin.mustJSON("DELETE", fmt.Sprintf("/api/v1/rules/%d", r2.ID), nil, 204, nil)
	resp, raw = agent.do("GET", "/api/v1/rules", nil)
	wantError(t, resp, raw, 403, anliegen.EForbidden, "")

	// Canned answers: admins any, department users their own department.
	var global, own anliegen.CannedAnswer
	admin.mustJSON("POST", "/api/v1/canned", map[string]any{"title": "Gruß", "text": "Viele Grüße"}, 201, &global)
	dep.mustJSON("POST", "/api/v1/canned", map[string]any{"title": "Tonne", "text": "Die Tonne kommt", "department": "abfall"}, 201, &own)
	resp, raw = dep.do("POST", "/api/v1/canned", map[string]any{"title": "Bau", "text": "x", "department": "bauamt"})
	wantError(t, resp, raw, 403, anliegen.EForbidden, "")
	resp, raw = dep.do("PATCH", fmt.Sprintf("/api/v1/canned/%d", global.ID), map[string]any{"title": "Gruß", "text": "Hallo"})
	wantError(t, resp, raw, 403, anliegen.EForbidden, "")
	dep.mustJSON("PATCH", fmt.Sprintf("/api/v1/canned/%d", own.ID), map[string]any{"title": "Tonne", "text": "Die Tonne kommt morgen", "department": "abfall"}, 200, nil)
	var bauCanned anliegen.CannedAnswer
	admin.mustJSON("POST", "/api/v1/canned", map[string]any{"title": "Kran", "text": "Kran", "department": "bauamt"}, 201, &bauCanned)
	var cl items[anliegen.CannedAnswer]
	dep.mustJSON("GET", "/api/v1/canned", nil, 200, &cl)
	for _, a := range cl.Items {
		if a.Department == "bauamt" {
			t.Fatalf("abfall sees bauamt's canned answer %+v", a)
		}
	}
	if len(cl.Items) != 2 {
		t.Fatalf("abfall sees %d canned answers, want global + own", len(cl.Items))
	}
	resp, raw = dep.do("DELETE", fmt.Sprintf("/api/v1/canned/%d", bauCanned.ID), nil)
	wantError(t, resp, raw, 404, anliegen.ENotFound, "")
	dep.mustJSON("DELETE", fmt.Sprintf("/api/v1/canned/%d", own.ID), nil, 204, nil)
	resp, raw = admin.do("DELETE", "/api/v1/departments/bauamt", nil)
	wantError(t, resp, raw, 409, anliegen.EConflict, "")
	admin.mustJSON("DELETE", fmt.Sprintf("/api/v1/canned/%d", bauCanned.ID), nil, 204, nil)
	admin.mustJSON("DELETE", "/api/v1/departments/bauamt", nil, 204, nil)
}

func TestChannels(t *testing.T) {
	changed := &counter{}
	var tested anliegen.Channel
	e := newEnv(t, func(_ *Config, d *Deps) {
		d.ChannelsChanged = changed
		d.Tester = ChannelTestFunc(func(_ context.Context, ch anliegen.Channel) error {
			tested = ch
			if string(ch.Secret) == "falsch" {
				return &anliegen.PlatformError{Kind: anliegen.ErrAuth, Status: 401, Err: errors.New("the access token is invalid")}
			}
			return nil
		})
	})
	admin := e.session(e.user("admin", anliegen.RoleAdmin))
	agent := e.session(e.user("agent", anliegen.RoleAgent))
	var ch channelView
	_, raw := admin.do("POST", "/api/v1/channels", map[string]any{"platform": "mastodon", "name": "Mastodon @stadt", "account": "@stadt@social.example",
		"settings": map[string]string{"instance": "https://social.example"}, "secret": "geheimes-token", "poll_interval": 60})
	if strings.Contains(string(raw), "geheimes-token") {
		t.Fatalf("create returns the secret: %s", raw)
	}
	admin.mustJSON("GET", "/api/v1/channels/1", nil, 200, &ch)
	if !ch.HasSecret || ch.PollInterval != 60 || ch.Platform != anliegen.PlatformMastodon {
		t.Fatalf("channel %+v", ch)
	}
	for _, c := range []*client{admin, agent} {
		_, raw := c.do("GET", "/api/v1/channels", nil)
		if strings.Contains(string(raw), "geheimes-token") || !strings.Contains(string(raw), "Mastodon @stadt") {
			t.Fatalf("list: %s", raw)
		}
	}
	// An update without secret keeps it.
	admin.mustJSON("PATCH", "/api/v1/channels/1", map[string]any{"name": "Mastodon Stadt"}, 200, nil)
	var res channelTestResponse
	admin.mustJSON("POST", "/api/v1/channels/1/test", nil, 200, &res)
	if !res.OK || string(tested.Secret) != "geheimes-token" {
		t.Fatalf("test: %+v with secret %q", res, tested.Secret)
	}
	admin.mustJSON("PATCH", "/api/v1/channels/1", map[string]any{"secret": "falsch"}, 200, nil)
	admin.mustJSON("POST", "/api/v1/channels/1/test", nil, 200, &res)
	if res.OK || res.Kind != string(anliegen.ErrAuth) || !strings.Contains(res.Error, "invalid") {
		t.Fatalf("failing test: %+v", res)
	}
	for _, bad := range []struct{ body, field string }{
		{`{"platform":"mastodon","name":"x","poll_interval":1}`, "poll_interval"},
		{`{"platform":"myspace","name":"x"}`, "platform"},
		{`{"platform":"mastodon","name":""}`, "name"},
		{`{"platform":"mastodon","name":"x","settings":[1]}`, "settings"},
	} {
		resp, raw := admin.do("POST", "/api/v1/channels", bad.body)
		wantError(t, resp, raw, 422, anliegen.EInvalid, bad.field)
	}
	resp, raw := agent.do("POST", "/api/v1/channels/1/test", nil)
	wantError(t, resp, raw, 403, anliegen.EForbidden, "")
	admin.mustJSON("DELETE", "/api/v1/channels/1", nil, 204, nil)
	if changed.n.Load() != 4 {
		t.Fatalf("runtime told of %d channel changes, want 4", changed.n.Load())
	}
}

func TestStatsScope(t *testing.T) {
	e := newEnv(t)
	e.department("abfall")
	e.department("bauamt")
	ch := e.channel(anliegen.PlatformMastodon)
	for i := range 3 {
		e.ticket(ch, "abfall", e.item(fmt.Sprint("Tonne ", i)))
	}
	e.ticket(ch, "bauamt", e.item("Kran"))
	agent := e.session(e.user("agent", anliegen.RoleAgent))
	dep := e.session(e.user("dep", anliegen.RoleDepartment, "abfall"))
	var all, mine anliegen.TicketStats
	agent.mustJSON("GET", "/api/v1/stats", nil, 200, &all)
	dep.mustJSON("GET", "/api/v1/stats", nil, 200, &mine)
	if all.Total != 4 || mine.Total != 3 {
		t.Fatalf("stats totals: all %d, abfall %d", all.Total, mine.Total)
	}
}

// hookRecorder is a WebhookHandler that records what it got.
type hookRecorder struct {
	platform anliegen.Platform
	channel  int64
	body     string
}

func (h *hookRecorder) HandleWebhook(_ context.Context, p anliegen.Platform, id int64, r *http.Request, body []byte) ([]byte, error) {
	if r.Header.Get("X-Signature") != "gut" {
		return nil, anliegen.Errorf(anliegen.EUnauthorized, "bad signature")
	}
	h.platform, h.channel, h.body = p, id, string(body)
	return []byte(r.URL.Query().Get("hub.challenge")), nil
}

func TestWebhooks(t *testing.T) {
	rec := &hookRecorder{}
	e := newEnv(t, func(c *Config, d *Deps) { d.Hooks = rec; c.MaxHookBodyBytes = 64 })
	post := func(path, sig, body string) (*http.Response, []byte) {
		req, _ := http.NewRequest("POST", e.ts.URL+path, strings.NewReader(body))
		req.Header.Set("X-Signature", sig)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		return resp, readAll(t, resp)
	}
	resp, raw := post("/hooks/telegram/7?hub.challenge=abc", "gut", `{"update_id":1}`)
	if resp.StatusCode != 200 || string(raw) != "abc" || rec.platform != anliegen.PlatformTelegram || rec.channel != 7 || rec.body != `{"update_id":1}` {
		t.Fatalf("hook: %d %q %+v", resp.StatusCode, raw, rec)
	}
	resp, raw = post("/hooks/telegram/7", "schlecht", `{}`)
	wantError(t, resp, raw, 401, anliegen.EUnauthorized, "")
	resp, raw = post("/hooks/telegram/7", "gut", strings.Repeat("x", 100))
	wantError(t, resp, raw, 400, anliegen.EBadRequest, "")
	resp, raw = post("/hooks/telegram/abc", "gut", `{}`)
	wantError(t, resp, raw, 404, anliegen.ENotFound, "")
}
