package hub

import (
	"context"
	"encoding/json"
	"time"

	"github.com/anliegen/anliegen"
)

// Presence says who is looking at or typing in a ticket, so two people do
// not answer the same citizen. It is not stored: the hub holds it in
// memory and forgets it after PresenceTTL without a repeat.

// Presence states a client may send.
const (
	PresenceViewing = "viewing"
	PresenceTyping  = "typing"
	PresenceLeft    = "left"
)

// presenceMinGap throttles a client's presence messages; a "left" always
// passes so that the last word is never lost.
const presenceMinGap = 200 * time.Millisecond

type presenceKey struct {
	ticket int64
	c      *client
}

type presenceState struct {
	state  string
	dept   string
	at     time.Time
	viewer Viewer
	frame  *frame
}

// clientMessage is what a client sends.
type clientMessage struct {
	Type     string `json:"type"`
	TicketID int64  `json:"ticket_id"`
	State    string `json:"state"`
}

// presenceData is the data of a presence frame.
type presenceData struct {
	UserID int64  `json:"user_id"`
	Login  string `json:"login"`
	Name   string `json:"name"`
	State  string `json:"state"`
}

// presenceFrame is a presence event as clients get it; id 0 marks it as
// not from the log (a client must not resume from it).
type presenceFrame struct {
	ID       int64              `json:"id"`
	Type     anliegen.EventType `json:"type"`
	TicketID int64              `json:"ticket_id"`
	Data     presenceData       `json:"data"`
}

func presenceEntry(ticket int64, st presenceState, state string) *entry {
	b, _ := json.Marshal(presenceFrame{Type: anliegen.EventPresence, TicketID: ticket,
		Data: presenceData{UserID: st.viewer.UserID, Login: st.viewer.Login, Name: st.viewer.Name, State: state}})
	return &entry{typ: anliegen.EventPresence, dept: st.dept, full: newFrame(b)}
}

// receive handles one message from c. Anything but a well-formed presence
// message about a ticket c may see is ignored.
func (h *Hub) receive(ctx context.Context, c *client, msg []byte) {
	var m clientMessage
	if json.Unmarshal(msg, &m) != nil || m.Type != string(anliegen.EventPresence) || m.TicketID <= 0 {
		return
	}
	switch m.State {
	case PresenceViewing, PresenceTyping, PresenceLeft:
	default:
		return
	}
	now := time.Now()
	if m.State != PresenceLeft && now.Sub(c.lastPresence) < presenceMinGap {
		return
	}
	c.lastPresence = now
	if h.cfg.TicketDepartment == nil {
		return
	}
	dept, err := h.cfg.TicketDepartment(ctx, m.TicketID)
	v := c.viewer.Load()
	if err != nil || !v.Scope.Allows(dept) {
		return
	}
	st := presenceState{state: m.State, dept: dept, at: now, viewer: *v}
	e := presenceEntry(m.TicketID, st, m.State)
	st.frame = e.full
	key := presenceKey{ticket: m.TicketID, c: c}
	h.mu.Lock()
	prev, had := h.presence[key]
	if m.State == PresenceLeft {
		if !had {
			h.mu.Unlock()
			return
		}
		delete(h.presence, key)
	} else {
		h.presence[key] = st
		if had && prev.state == m.State {
			h.mu.Unlock()
			return // a repeat only keeps it alive
		}
	}
	h.push(e)
	cs := h.wakeList
	h.mu.Unlock()
	wake(cs)
}

// expirePresence ends presence not repeated within PresenceTTL.
func (h *Hub) expirePresence(now time.Time) {
	h.mu.Lock()
	expired := false
	for k, st := range h.presence {
		if now.Sub(st.at) > h.cfg.PresenceTTL {
			delete(h.presence, k)
			h.push(presenceEntry(k.ticket, st, PresenceLeft))
			expired = true
		}
	}
	cs := h.wakeList
	h.mu.Unlock()
	if expired {
		wake(cs)
	}
}

// presenceFor returns the current presence frames c may see, other than
// its own, for a client going live; h.mu is held.
func (h *Hub) presenceFor(c *client) []*frame {
	v := c.viewer.Load()
	var out []*frame
	for k, st := range h.presence {
		if k.c != c && v.Scope.Allows(st.dept) {
			out = append(out, st.frame)
		}
	}
	return out
}
