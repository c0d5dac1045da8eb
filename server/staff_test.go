package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/anliegen/anliegen"
)

// TestStaffDirectory checks that every role reads the same list of active
// colleagues, with nothing about accounts or passwords, and that /users
// stays for administrators.
func TestStaffDirectory(t *testing.T) {
	e := newEnv(t)
	e.department("abfall")
	e.department("bauamt")
	admin := e.user("admin", anliegen.RoleAdmin)
	agent := e.user("agent", anliegen.RoleAgent)
	depa := e.user("depa", anliegen.RoleDepartment, "abfall")
	depb := e.user("depb", anliegen.RoleDepartment, "bauamt")
	gone := e.user("gone", anliegen.RoleAgent)
	gone.Disabled = true
	if err := e.db.UpdateUser(e.ctx, &gone); err != nil {
		t.Fatal(err)
	}
	ch := e.channel(anliegen.PlatformMastodon)
	tB := e.ticket(ch, "bauamt", e.item("Baugenehmigung für den Geräteschuppen"))

	want := []staffMember{
		{ID: admin.ID, Login: "admin", Name: "Name admin", Role: anliegen.RoleAdmin, Departments: []string{}},
		{ID: agent.ID, Login: "agent", Name: "Name agent", Role: anliegen.RoleAgent, Departments: []string{}},
		{ID: depa.ID, Login: "depa", Name: "Name depa", Role: anliegen.RoleDepartment, Departments: []string{"abfall"}},
		{ID: depb.ID, Login: "depb", Name: "Name depb", Role: anliegen.RoleDepartment, Departments: []string{"bauamt"}},
	}
	for _, u := range []anliegen.User{admin, agent, depa, depb} {
		t.Run(u.Login, func(t *testing.T) {
			c := e.session(u)
			resp, raw := c.do("GET", "/api/v1/staff", nil)
			if resp.StatusCode != 200 {
				t.Fatalf("status %d: %s", resp.StatusCode, raw)
			}
			var got items[staffMember]
			mustDecodeStrict(t, raw, &got)
			if !slices.EqualFunc(got.Items, want, func(a, b staffMember) bool {
				return a.ID == b.ID && a.Login == b.Login && a.Name == b.Name && a.Role == b.Role && slices.Equal(a.Departments, b.Departments)
			}) {
				t.Fatalf("staff %+v, want %+v", got.Items, want)
			}
			for _, leak := range []string{"password", "hash", "token", "csrf", "created_at", "disabled", "lang", tB.Number, "Geräteschuppen"} {
				if strings.Contains(strings.ToLower(string(raw)), strings.ToLower(leak)) {
					t.Errorf("staff list contains %q: %s", leak, raw)
				}
			}
			resp, raw = c.do("GET", "/api/v1/users", nil)
			if u.Role == anliegen.RoleAdmin {
				if resp.StatusCode != 200 {
					t.Errorf("admin GET /users: %d", resp.StatusCode)
				}
			} else {
				wantError(t, resp, raw, 403, anliegen.EForbidden, "")
			}
		})
	}
	resp, raw := e.anon().do("GET", "/api/v1/staff", nil)
	wantError(t, resp, raw, 401, anliegen.EUnauthorized, "")
}

// TestChannelCapabilities checks that channels carry what their connector
// allows, in the channel list and on the ticket, and that a department
// user learns nothing about another department's ticket through it.
func TestChannelCapabilities(t *testing.T) {
	masto := anliegen.Capabilities{MaxReplyLength: 1000, PublicReplies: true, DirectMessages: true, ReportsEdits: true, ReportsDeletes: true, URLLength: 23}
	var asked atomic.Int64 // capability look-ups
	e := newEnv(t, func(_ *Config, d *Deps) {
		d.Capabilities = CapabilitiesFunc(func(_ context.Context, ch anliegen.Channel) (anliegen.Capabilities, error) {
			asked.Add(1)
			if !ch.Enabled {
				return anliegen.Capabilities{}, &anliegen.PlatformError{Kind: anliegen.ErrTemporary, Err: errors.New("channel is disabled")}
			}
			return masto, nil
		})
	})
	e.department("abfall")
	e.department("bauamt")
	ch := e.channel(anliegen.PlatformMastodon)
	off := anliegen.Channel{Platform: anliegen.PlatformEmail, Name: "Postfach", Account: "info@stadt.example"}
	if err := e.db.CreateChannel(e.ctx, &off); err != nil {
		t.Fatal(err)
	}
	tA := e.ticket(ch, "abfall", e.item("Wann kommt die gelbe Tonne?"))
	tB := e.ticket(ch, "bauamt", e.item("Wo beantrage ich einen Bauantrag?"))
	depa := e.session(e.user("depa", anliegen.RoleDepartment, "abfall"))
	agent := e.session(e.user("agent", anliegen.RoleAgent))

	for _, c := range []*client{depa, agent} {
		var list items[channelView]
		c.mustJSON("GET", "/api/v1/channels", nil, 200, &list)
		if len(list.Items) != 2 {
			t.Fatalf("channels: %+v", list.Items)
		}
		for _, v := range list.Items {
			switch v.ID {
			case ch:
				if v.Capabilities == nil || *v.Capabilities != masto {
					t.Errorf("channel %d capabilities %+v, want %+v", v.ID, v.Capabilities, masto)
				}
			case off.ID:
				if v.Capabilities != nil {
					t.Errorf("disabled channel reports capabilities %+v", v.Capabilities)
				}
			}
		}
		var one channelView
		c.mustJSON("GET", fmt.Sprintf("/api/v1/channels/%d", ch), nil, 200, &one)
		if one.Capabilities == nil || one.Capabilities.MaxReplyLength != 1000 {
			t.Errorf("GET channel: %+v", one.Capabilities)
		}
	}

	var d ticketDetailResponse
	depa.mustJSON("GET", fmt.Sprintf("/api/v1/tickets/%d", tA.ID), nil, 200, &d)
	if d.ID != tA.ID || d.Channel == nil || d.Channel.ID != ch || d.Channel.Capabilities == nil || *d.Channel.Capabilities != masto {
		t.Fatalf("ticket detail channel %+v", d.Channel)
	}
	if d.Channel.Settings != nil {
		t.Errorf("a department user sees channel settings: %s", d.Channel.Settings)
	}
	// B's ticket stays a plain 404 for A's staff: no channel, no capability.
	n := asked.Load()
	resp, raw := depa.do("GET", fmt.Sprintf("/api/v1/tickets/%d", tB.ID), nil)
	wantError(t, resp, raw, 404, anliegen.ENotFound, "")
	if strings.Contains(string(raw), "capabilities") || strings.Contains(string(raw), "Kanal") || asked.Load() != n {
		t.Errorf("404 for another department's ticket says more: %s", raw)
	}
	agent.mustJSON("GET", fmt.Sprintf("/api/v1/tickets/%d", tB.ID), nil, 200, &d)
	if d.Channel == nil || d.Channel.Capabilities == nil {
		t.Fatalf("agent sees no channel on B: %+v", d.Channel)
	}
}

// mustDecodeStrict decodes raw into out, failing on fields out lacks: a
// response must carry no more than its type says.
func mustDecodeStrict(t testing.TB, raw []byte, out any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(out); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
}
