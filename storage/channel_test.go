package storage

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/anliegen/anliegen"
)

func TestChannelCRUD(t *testing.T) {
	db := mustOpen(t)
	ctx := context.Background()
	since := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ch := &anliegen.Channel{Platform: anliegen.PlatformMastodon, Name: "Mastodon @stadt", Account: "@stadt@social.example",
		Settings: json.RawMessage(`{"instance":"https://social.example"}`), Secret: []byte("token"), Enabled: true,
		PollInterval: time.Minute, BackfillSince: since}
	if err := db.CreateChannel(ctx, ch); err != nil {
		t.Fatal(err)
	}
	got, err := db.Channel(ctx, ch.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != ch.Name || string(got.Settings) != string(ch.Settings) || string(got.Secret) != "token" || !got.Enabled ||
		got.PollInterval != time.Minute || !got.BackfillSince.Equal(since) || got.Health.State != anliegen.ChannelOK || got.CreatedAt.IsZero() {
		t.Errorf("round trip: %+v", got)
	}
	// Update without secret and settings keeps both; disabling sets the state.
	upd := anliegen.Channel{ID: ch.ID, Platform: ch.Platform, Name: "Mastodon (neu)", PollInterval: 5 * time.Minute}
	if err := db.UpdateChannel(ctx, &upd); err != nil {
		t.Fatal(err)
	}
	got, _ = db.Channel(ctx, ch.ID)
	if got.Name != "Mastodon (neu)" || string(got.Secret) != "token" || string(got.Settings) != string(ch.Settings) ||
		got.Enabled || got.Health.State != anliegen.ChannelDisabled || got.PollInterval != 5*time.Minute {
		t.Errorf("after update: %+v", got)
	}
	upd.Enabled, upd.Secret = true, []byte("new")
	if err := db.UpdateChannel(ctx, &upd); err != nil {
		t.Fatal(err)
	}
	got, _ = db.Channel(ctx, ch.ID)
	if string(got.Secret) != "new" || got.Health.State != anliegen.ChannelOK {
		t.Errorf("after enabling: %+v", got)
	}
	list, err := db.Channels(ctx)
	if err != nil || len(list) != 1 || list[0].ID != ch.ID {
		t.Errorf("Channels = %v, %v", list, err)
	}
	for _, c := range []struct {
		ch    anliegen.Channel
		field string
	}{
		{anliegen.Channel{Platform: "myspace", Name: "x"}, "platform"},
		{anliegen.Channel{Platform: anliegen.PlatformX, Name: " "}, "name"},
		{anliegen.Channel{Platform: anliegen.PlatformX, Name: "x", Settings: json.RawMessage(`{`)}, "settings"},
		{anliegen.Channel{Platform: anliegen.PlatformX, Name: "x", PollInterval: -1}, "poll_interval"},
	} {
		if err := db.CreateChannel(ctx, &c.ch); anliegen.ErrorField(err) != c.field {
			t.Errorf("invalid %s: %v", c.field, err)
		}
	}
	if err := db.UpdateChannel(ctx, &anliegen.Channel{ID: 999, Platform: anliegen.PlatformX, Name: "x"}); anliegen.ErrorCode(err) != anliegen.ENotFound {
		t.Errorf("update unknown: %v", err)
	}
	if _, err := db.Channel(ctx, 999); anliegen.ErrorCode(err) != anliegen.ENotFound {
		t.Errorf("get unknown: %v", err)
	}
	// A channel with messages cannot be deleted; an unused one can.
	mustIngest(t, db, ch.ID, []anliegen.Item{dm("m1", "u1", "Hallo", t0)}, "")
	if err := db.DeleteChannel(ctx, ch.ID); anliegen.ErrorCode(err) != anliegen.EConflict {
		t.Errorf("delete used channel: %v", err)
	}
	empty := newChannel(t, db, anliegen.PlatformBluesky)
	if err := db.DeleteChannel(ctx, empty); err != nil {
		t.Errorf("delete empty channel: %v", err)
	}
	if err := db.DeleteChannel(ctx, empty); anliegen.ErrorCode(err) != anliegen.ENotFound {
		t.Errorf("delete twice: %v", err)
	}
}

func TestSetChannelHealth(t *testing.T) {
	db := mustOpen(t)
	ctx := context.Background()
	ch := newChannel(t, db, anliegen.PlatformMastodon)
	mustIngest(t, db, ch, []anliegen.Item{dm("m1", "u1", "Hallo", t0)}, "")
	now := t0.Add(time.Hour)
	next := now.Add(time.Minute)
	healthEvents := func() int {
		return countRows(t, db, `SELECT count(*) FROM events WHERE type = 'channel.health' AND channel_id = ?`, ch)
	}
	steps := []struct {
		h          anliegen.ChannelHealth
		wantEvents int
	}{
		{anliegen.ChannelHealth{State: anliegen.ChannelOK, LastPollAt: &now, LastSuccessAt: &now, NextPollAt: &next}, 0},
		{anliegen.ChannelHealth{State: anliegen.ChannelFailing, LastPollAt: &now, LastError: "HTTP 502", ConsecutiveFailures: 1}, 1},
		{anliegen.ChannelHealth{State: anliegen.ChannelFailing, LastPollAt: &now, LastError: "HTTP 502", ConsecutiveFailures: 2}, 2},
		{anliegen.ChannelHealth{State: anliegen.ChannelOK, LastPollAt: &now, LastSuccessAt: &now}, 3},
		{anliegen.ChannelHealth{State: anliegen.ChannelOK, LastPollAt: &now, LastSuccessAt: &now}, 3},
	}
	for i, s := range steps {
		if err := db.SetChannelHealth(ctx, ch, s.h); err != nil {
			t.Fatal(err)
		}
		if n := healthEvents(); n != s.wantEvents {
			t.Errorf("step %d: %d health events, want %d", i, n, s.wantEvents)
		}
	}
	got, _ := db.Channel(ctx, ch)
	if got.Health.State != anliegen.ChannelOK || got.Health.ItemsTotal != 1 || got.Health.LastSuccessAt == nil ||
		!got.Health.LastSuccessAt.Equal(now) || got.Health.LastError != "" || got.Health.ConsecutiveFailures != 0 {
		t.Errorf("health %+v", got.Health)
	}
	evs, _ := db.EventsAfter(ctx, 0, 100)
	var data map[string]any
	for _, e := range evs {
		if e.Type == anliegen.EventChannelHealth {
			json.Unmarshal(e.Data, &data)
			break
		}
	}
	if data["state"] != "failing" || data["prev_state"] != "ok" || data["last_error"] != "HTTP 502" {
		t.Errorf("first health event data %v", data)
	}
	if err := db.SetChannelHealth(ctx, 999, anliegen.ChannelHealth{}); anliegen.ErrorCode(err) != anliegen.ENotFound {
		t.Errorf("unknown channel: %v", err)
	}
}

// TestClaimOutboundConcurrent has several senders claim at once: every
// reply is handed out exactly once.
func TestClaimOutboundConcurrent(t *testing.T) {
	db := mustOpen(t)
	ctx := context.Background()
	ch := newChannel(t, db, anliegen.PlatformMastodon)
	var items []anliegen.Item
	for i := range 30 {
		items = append(items, dm("m"+string(rune('a'+i)), "u"+string(rune('a'+i)), "Frage", t0))
	}
	mustIngest(t, db, ch, items, "")
	for _, it := range items {
		if _, err := db.CreateReply(ctx, ticketOf(t, db, it.ExternalID), 0, "Antwort"); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now().Add(time.Minute)
	results := make(chan []anliegen.OutboundMessage, 4)
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			var mine []anliegen.OutboundMessage
			for {
				got, err := db.ClaimOutbound(ctx, now, time.Hour, 3)
				if err != nil {
					errs <- err
					return
				}
				if len(got) == 0 {
					results <- mine
					return
				}
				mine = append(mine, got...)
			}
		}()
	}
	seen := map[int64]bool{}
	for range 4 {
		select {
		case err := <-errs:
			t.Fatal(err)
		case got := <-results:
			for _, m := range got {
				if seen[m.ID] {
					t.Errorf("reply %d claimed twice", m.ID)
				}
				seen[m.ID] = true
			}
		}
	}
	if len(seen) != 30 {
		t.Errorf("%d replies claimed, want 30", len(seen))
	}
}
