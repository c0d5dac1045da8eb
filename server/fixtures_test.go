package server

import (
	"fmt"
	"time"

	"github.com/anliegen/anliegen"
)

// channel creates an enabled channel of platform p.
func (e *env) channel(p anliegen.Platform) int64 {
	e.t.Helper()
	ch := anliegen.Channel{Platform: p, Name: "Kanal " + string(p), Account: "@stadt", Enabled: true, PollInterval: time.Minute}
	if err := e.db.CreateChannel(e.ctx, &ch); err != nil {
		e.t.Fatalf("create channel: %v", err)
	}
	return ch.ID
}

// item is an inbound direct message starting its own thread.
func (e *env) item(text string) anliegen.Item {
	n := e.seq.Add(1)
	return anliegen.Item{
		ExternalID: fmt.Sprintf("m%d", n), Kind: anliegen.KindDM, ThreadID: fmt.Sprintf("t%d", n),
		Author:    anliegen.Author{ExternalID: fmt.Sprintf("u%d", n), Handle: fmt.Sprintf("@buerger%d", n), Name: "Bürger " + fmt.Sprint(n)},
		Text:      text,
		CreatedAt: time.Now().UTC().Add(-time.Hour),
	}
}

// ticket ingests one message on channel ch, routes the new ticket to dept
// (when not "") and returns it.
func (e *env) ticket(ch int64, dept string, it anliegen.Item) anliegen.Ticket {
	e.t.Helper()
	last, err := e.db.LastEventID(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.db.Ingest(e.ctx, ch, []anliegen.Item{it}, ""); err != nil {
		e.t.Fatalf("ingest: %v", err)
	}
	evs, err := e.db.EventsAfter(e.ctx, last, 100)
	if err != nil {
		e.t.Fatal(err)
	}
	var id int64
	for _, ev := range evs {
		if ev.TicketID != 0 {
			id = ev.TicketID
		}
	}
	if id == 0 {
		e.t.Fatalf("ingest of %q made no ticket event", it.ExternalID)
	}
	if dept != "" {
		if _, err := e.db.UpdateTicket(e.ctx, id, 0, anliegen.TicketUpdate{Department: &dept}); err != nil {
			e.t.Fatalf("route ticket: %v", err)
		}
	}
	t, err := e.db.Ticket(e.ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return t
}
