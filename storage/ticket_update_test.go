package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/anliegen/anliegen"
)

func ptr[T any](v T) *T { return &v }

// lastEvent returns the newest event of a ticket.
func lastEvent(t *testing.T, db *DB, ticketID int64) anliegen.Event {
	t.Helper()
	evs, err := ticketEvents(context.Background(), db.read(), ticketID)
	if err != nil || len(evs) == 0 {
		t.Fatalf("events of %d: %v, %v", ticketID, evs, err)
	}
	return evs[len(evs)-1]
}

func eventChanges(t *testing.T, e anliegen.Event) map[string]struct{ From, To any } {
	t.Helper()
	var data struct {
		Changes map[string]struct{ From, To any }
	}
	if err := json.Unmarshal(e.Data, &data); err != nil {
		t.Fatalf("event data %s: %v", e.Data, err)
	}
	return data.Changes
}

func TestUpdateTicket(t *testing.T) {
	db, clk := mustOpenStaff(t)
	ctx := context.Background()
	fx := newFixture(t, db)
	mustDepartment(t, db, "abfall")
	mustDepartment(t, db, "kfz")
	agent := mustUser(t, db, "agent", anliegen.RoleAgent)
	off := mustUser(t, db, "off", anliegen.RoleAgent)
	off.Disabled = true
	must(t, db.UpdateUser(ctx, &off))

	tests := []struct {
		name        string
		start       ticketSpec
		update      anliegen.TicketUpdate
		code, field string
		check       func(t *testing.T, before, after anliegen.Ticket, e anliegen.Event)
	}{
		{"route to a department", ticketSpec{Department: "abfall"}, anliegen.TicketUpdate{Department: ptr("kfz")}, "", "",
			func(t *testing.T, before, after anliegen.Ticket, e anliegen.Event) {
				if after.Department != "kfz" || e.Department != "kfz" || e.PrevDepartment != "abfall" {
					t.Errorf("ticket %q, event dept %q prev %q", after.Department, e.Department, e.PrevDepartment)
				}
				c := eventChanges(t, e)["department"]
				if c.From != "abfall" || c.To != "kfz" || len(eventChanges(t, e)) != 1 {
					t.Errorf("changes %s", e.Data)
				}
			}},
		{"resolve sets resolved_at", ticketSpec{Status: "open"}, anliegen.TicketUpdate{Status: ptr(anliegen.StatusResolved), Version: 1}, "", "",
			func(t *testing.T, before, after anliegen.Ticket, e anliegen.Event) {
				if after.ResolvedAt == nil || !after.ResolvedAt.Equal(clk.Now()) || after.Version != 2 || e.ActorID != agent.ID {
					t.Errorf("after %+v, event %+v", after, e)
				}
			}},
		{"reopen clears resolved_at", ticketSpec{Status: "resolved"}, anliegen.TicketUpdate{Status: ptr(anliegen.StatusOpen)}, "", "",
			func(t *testing.T, before, after anliegen.Ticket, e anliegen.Event) {
				if after.ResolvedAt != nil || after.Status != "open" {
					t.Errorf("after %+v", after)
				}
			}},
		{"assign, tag and prioritize at once", ticketSpec{Tags: []string{"alt"}},
			anliegen.TicketUpdate{AssigneeID: ptr(agent.ID), Tags: &[]string{"Neu", " gefahr", "neu"}, Priority: ptr(anliegen.PriorityUrgent)}, "", "",
			func(t *testing.T, before, after anliegen.Ticket, e anliegen.Event) {
				if after.Assignee != "agent" || !slices.Equal(after.Tags, []string{"gefahr", "neu"}) || after.Priority != "urgent" {
					t.Errorf("after %+v", after)
				}
				c := eventChanges(t, e)
				if len(c) != 4 || c["assignee"].To != "agent" || c["priority"].From != "normal" {
					t.Errorf("changes %s", e.Data)
				}
			}},
		{"unassign", ticketSpec{Assignee: 1}, anliegen.TicketUpdate{AssigneeID: ptr(int64(0))}, "", "",
			func(t *testing.T, before, after anliegen.Ticket, e anliegen.Event) {
				if after.AssigneeID != 0 || after.Assignee != "" {
					t.Errorf("after %+v", after)
				}
			}},
		{"note only", ticketSpec{}, anliegen.TicketUpdate{Note: "Bitte an Bauhof weitergeben"}, "", "",
			func(t *testing.T, before, after anliegen.Ticket, e anliegen.Event) {
				if e.Type != anliegen.EventMessageCreated || after.Version != before.Version || !after.UpdatedAt.Equal(clk.Now()) {
					t.Errorf("event %+v, after %+v", e, after)
				}
			}},
		{"nothing changes", ticketSpec{Status: "open"}, anliegen.TicketUpdate{Status: ptr(anliegen.StatusOpen)}, "", "",
			func(t *testing.T, before, after anliegen.Ticket, e anliegen.Event) {
				if e.Type != anliegen.EventTicketCreated || after.Version != before.Version {
					t.Errorf("a no-op wrote event %+v, version %d", e, after.Version)
				}
			}},
		{"stale version", ticketSpec{}, anliegen.TicketUpdate{Status: ptr(anliegen.StatusOpen), Version: 7}, anliegen.EConflict, "version", nil},
		{"invalid status", ticketSpec{}, anliegen.TicketUpdate{Status: ptr(anliegen.Status("erledigt"))}, anliegen.EInvalid, "status", nil},
		{"invalid priority", ticketSpec{}, anliegen.TicketUpdate{Priority: ptr(anliegen.Priority("sofort"))}, anliegen.EInvalid, "priority", nil},
		{"unknown department", ticketSpec{}, anliegen.TicketUpdate{Department: ptr("bau")}, anliegen.EInvalid, "department", nil},
		{"unknown assignee", ticketSpec{}, anliegen.TicketUpdate{AssigneeID: ptr(int64(999))}, anliegen.EInvalid, "assignee_id", nil},
		{"disabled assignee", ticketSpec{}, anliegen.TicketUpdate{AssigneeID: ptr(off.ID)}, anliegen.EInvalid, "assignee_id", nil},
		{"bad tag", ticketSpec{}, anliegen.TicketUpdate{Tags: &[]string{"a\nb"}}, anliegen.EInvalid, "tags", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk.Add(time.Minute)
			before := fx.ticket(tt.start)
			after, err := db.UpdateTicket(ctx, before.ID, agent.ID, tt.update)
			if tt.code != "" {
				wantCode(t, err, tt.code, tt.field)
				now, _ := db.Ticket(ctx, before.ID)
				if now.Version != before.Version || lastEvent(t, db, before.ID).Type != anliegen.EventTicketCreated {
					t.Errorf("a refused update changed the ticket or wrote an event")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, before, after, lastEvent(t, db, before.ID))
		})
	}
	_, err := db.UpdateTicket(ctx, 999, agent.ID, anliegen.TicketUpdate{Status: ptr(anliegen.StatusOpen)})
	wantCode(t, err, anliegen.ENotFound, "")
}

func TestRepliesAndNotes(t *testing.T) {
	db, clk := mustOpenStaff(t)
	ctx := context.Background()
	fx := newFixture(t, db)
	agent := mustUser(t, db, "agent", anliegen.RoleAgent)
	tk := fx.ticket(ticketSpec{Messages: 2})

	_, err := db.AddNote(ctx, tk.ID, agent.ID, "  \n ")
	wantCode(t, err, anliegen.EInvalid, "text")
	_, err = db.CreateReply(ctx, tk.ID, agent.ID, "")
	wantCode(t, err, anliegen.EInvalid, "text")
	_, err = db.AddNote(ctx, 999, agent.ID, "x")
	wantCode(t, err, anliegen.ENotFound, "")

	note, err := db.AddNote(ctx, tk.ID, agent.ID, "Rückruf vereinbart")
	if err != nil || note.Direction != anliegen.DirectionNote || note.Author != "Name agent" || note.DeliveryState != "" {
		t.Fatalf("note %+v, %v", note, err)
	}
	clk.Add(time.Second)
	reply, err := db.CreateReply(ctx, tk.ID, agent.ID, " Vielen Dank, wir kümmern uns. ")
	if err != nil {
		t.Fatal(err)
	}
	if reply.Direction != anliegen.DirectionOut || reply.DeliveryState != anliegen.DeliveryPending || reply.Attempts != 0 ||
		reply.NextAttemptAt == nil || !reply.NextAttemptAt.Equal(clk.Now()) || reply.Text != "Vielen Dank, wir kümmern uns." ||
		reply.ParentID != "ext-1-1" || reply.ChannelID != tk.ChannelID || reply.AuthorID != agent.ID {
		t.Errorf("reply %+v", reply)
	}
	if e := lastEvent(t, db, tk.ID); e.Type != anliegen.EventTicketUpdated || eventChanges(t, e)["status"].To != "open" {
		t.Errorf("new ticket not opened by the reply: %+v", e)
	}
	after, _ := db.Ticket(ctx, tk.ID)
	// A second reply on an open ticket leaves the status alone.
	must(t, db.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE tickets SET status = 'waiting' WHERE id = ?`, tk.ID)
		return err
	}))
	if _, err := db.CreateReply(ctx, tk.ID, agent.ID, "Nachtrag"); err != nil {
		t.Fatal(err)
	}
	if now, _ := db.Ticket(ctx, tk.ID); now.Status != anliegen.StatusWaiting || after.Status != anliegen.StatusOpen {
		t.Errorf("status %s after second reply (first: %s)", now.Status, after.Status)
	}

	// Imported history cannot be answered: no connector serves its channel.
	imported := fx.ticket(ticketSpec{Platform: anliegen.PlatformWebform, Kind: anliegen.KindMail})
	fx.write(func(tx *sql.Tx) { fx.exec(tx, `UPDATE channels SET hidden = 1 WHERE id = ?`, imported.ChannelID) })
	_, err = db.CreateReply(ctx, imported.ID, agent.ID, "Antwort")
	wantCode(t, err, anliegen.EInvalid, "ticket_id")
	if _, err := db.AddNote(ctx, imported.ID, agent.ID, "Notiz geht"); err != nil {
		t.Errorf("note on an imported ticket: %v", err)
	}

	// Retry: only a failed reply.
	_, err = db.RetryReply(ctx, reply.ID, agent.ID)
	wantCode(t, err, anliegen.EConflict, "")
	_, err = db.RetryReply(ctx, note.ID, agent.ID)
	wantCode(t, err, anliegen.EConflict, "")
	_, err = db.RetryReply(ctx, 999, agent.ID)
	wantCode(t, err, anliegen.ENotFound, "")
	// The sender takes the reply, threads it under the citizen's latest
	// message, and fails for good.
	claimed, err := db.ClaimOutbound(ctx, clk.Now(), 2*time.Hour, 10)
	if err != nil || len(claimed) != 2 || claimed[0].ID != reply.ID || claimed[0].InReplyTo != "ext-1-1" || claimed[0].Attempts != 1 {
		t.Fatalf("claimed %+v, %v", claimed, err)
	}
	must(t, db.MarkFailed(ctx, reply.ID, "HTTP 403", nil))
	clk.Add(time.Hour)
	again, err := db.RetryReply(ctx, reply.ID, agent.ID)
	if err != nil {
		t.Fatal(err)
	}
	if again.DeliveryState != anliegen.DeliveryPending || again.Error != "" || again.Attempts != 1 || !again.NextAttemptAt.Equal(clk.Now()) {
		t.Errorf("retried %+v", again)
	}
	claimed, err = db.ClaimOutbound(ctx, clk.Now(), time.Minute, 10)
	if err != nil || len(claimed) != 1 || claimed[0].ID != reply.ID || claimed[0].Attempts != 2 {
		t.Errorf("claimed after retry %+v, %v", claimed, err)
	}
	if e := lastEvent(t, db, tk.ID); e.Type != anliegen.EventMessageUpdated || e.MessageID != reply.ID || e.ActorID != agent.ID {
		t.Errorf("retry event %+v", e)
	}
}

func TestTicketDetailAndContact(t *testing.T) {
	db, clk := mustOpenStaff(t)
	ctx := context.Background()
	fx := newFixture(t, db)
	agent := mustUser(t, db, "agent", anliegen.RoleAgent)
	c := fx.contact("rosi", anliegen.PlatformMastodon, anliegen.PlatformEmail)
	t1 := fx.ticket(ticketSpec{Contact: c, Messages: 3, Created: clk.Now().Add(-time.Hour)})
	t2 := fx.ticket(ticketSpec{Contact: c, Platform: anliegen.PlatformEmail, Kind: anliegen.KindMail, Created: clk.Now()})
	fx.ticket(ticketSpec{})
	// A late backfilled message sorts by when it was written.
	fx.inbound(t1, "früher geschrieben", t1.CreatedAt.Add(-time.Minute))
	_, err := db.AddNote(ctx, t1.ID, agent.ID, "intern")
	must(t, err)
	_, err = db.UpdateTicket(ctx, t1.ID, agent.ID, anliegen.TicketUpdate{Priority: ptr(anliegen.PriorityHigh)})
	must(t, err)

	d, err := db.TicketDetail(ctx, t1.ID)
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, m := range d.Messages {
		texts = append(texts, m.Text)
	}
	want := []string{"früher geschrieben", "Nachricht 0", "Nachricht 1", "Nachricht 2", "intern"}
	if !slices.Equal(texts, want) {
		t.Errorf("messages %q, want %q", texts, want)
	}
	var types []anliegen.EventType
	for i, e := range d.Events {
		types = append(types, e.Type)
		if i > 0 && e.ID <= d.Events[i-1].ID {
			t.Errorf("events out of order")
		}
	}
	if !slices.Equal(types, []anliegen.EventType{"ticket.created", "message.created", "ticket.updated"}) {
		t.Errorf("events %v", types)
	}
	if d.Contact == nil || d.Contact.Name != "rosi" || len(d.Contact.Identities) != 2 || d.Priority != "high" {
		t.Errorf("detail %+v contact %+v", d.Ticket, d.Contact)
	}
	_, err = db.TicketDetail(ctx, 999)
	wantCode(t, err, anliegen.ENotFound, "")

	contact, tickets, err := db.Contact(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if contact.Name != "rosi" || len(contact.Identities) != 2 || contact.Identities[1].Platform != anliegen.PlatformEmail {
		t.Errorf("contact %+v", contact)
	}
	if len(tickets) != 2 || tickets[0].ID != t2.ID || tickets[1].ID != t1.ID {
		t.Errorf("contact tickets %+v", tickets)
	}
	_, _, err = db.Contact(ctx, 999)
	wantCode(t, err, anliegen.ENotFound, "")
}

func TestMergeTickets(t *testing.T) {
	db, _ := mustOpenStaff(t)
	ctx := context.Background()
	fx := newFixture(t, db)
	agent := mustUser(t, db, "agent", anliegen.RoleAgent)
	c := fx.contact("rosi", anliegen.PlatformMastodon)
	src := fx.ticket(ticketSpec{Contact: c, Messages: 2, Tags: []string{"termin"}})
	dst := fx.ticket(ticketSpec{Contact: c, Messages: 1, Tags: []string{"gefahr"}})
	mail := fx.ticket(ticketSpec{Kind: anliegen.KindMail, Platform: anliegen.PlatformEmail})

	_, err := db.MergeTickets(ctx, src.ID, src.ID, agent.ID)
	wantCode(t, err, anliegen.EInvalid, "into")
	_, err = db.MergeTickets(ctx, src.ID, mail.ID, agent.ID)
	wantCode(t, err, anliegen.EInvalid, "into")
	_, err = db.MergeTickets(ctx, src.ID, 999, agent.ID)
	wantCode(t, err, anliegen.ENotFound, "")

	got, err := db.MergeTickets(ctx, src.ID, dst.ID, agent.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != dst.ID || !slices.Equal(got.Tags, []string{"gefahr", "termin"}) || got.Version != dst.Version+1 {
		t.Errorf("target %+v", got)
	}
	d, _ := db.TicketDetail(ctx, dst.ID)
	if len(d.Messages) != 3 {
		t.Errorf("target has %d messages, want 3", len(d.Messages))
	}
	s, _ := db.TicketDetail(ctx, src.ID)
	if len(s.Messages) != 0 || s.Status != anliegen.StatusClosed || s.MergedInto != dst.ID {
		t.Errorf("source %+v with %d messages", s.Ticket, len(s.Messages))
	}
	if e := lastEvent(t, db, src.ID); e.Type != anliegen.EventTicketUpdated || eventChanges(t, e)["merged_into"].To != float64(dst.ID) {
		t.Errorf("source event %s", e.Data)
	}
	if e := lastEvent(t, db, dst.ID); e.Type != anliegen.EventTicketUpdated || e.ActorID != agent.ID {
		t.Errorf("target event %+v", e)
	}
	_, err = db.MergeTickets(ctx, src.ID, dst.ID, agent.ID)
	wantCode(t, err, anliegen.EInvalid, "from")
	other := fx.ticket(ticketSpec{})
	_, err = db.MergeTickets(ctx, other.ID, src.ID, agent.ID)
	wantCode(t, err, anliegen.EInvalid, "into")
	_, err = db.CreateReply(ctx, src.ID, agent.ID, "Antwort")
	wantCode(t, err, anliegen.EInvalid, "ticket_id")
}
