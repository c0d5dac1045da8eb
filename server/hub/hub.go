// Package hub follows the events log and fans events out to websocket
// clients, each filtered by what its user may see (invariant 5).
//
// Design: the hub reads new events from the store (every Poll, and at once
// on Notify) into a shared ring of frames, each event encoded and framed
// once for all clients. Each client has a writer goroutine with a cursor
// into that ring: the ring between the cursor and the head is the client's
// send queue, shared instead of copied, so memory per client stays small,
// and whatever is pending goes out in one write. The permission filter is
// an in-memory check of the client's scope, no store read per client. The
// hub never waits for a client; a client whose
// cursor falls more than the ring's size behind, or whose socket does not
// take a frame within the write deadline, is disconnected and resumes with
// ?since=.
//
// A client that resumes first replays ids > since from the store in pages,
// written by its own writer, and joins the ring under the hub's lock once
// it has caught up with the last id the ring holds; frames of events it
// already replayed are skipped by id. So there is no gap and no duplicate.
package hub

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/anliegen/anliegen"
)

// Config configures a Hub. Zero values take the defaults named.
type Config struct {
	Events anliegen.EventService
	Logger *slog.Logger
	// TicketDepartment returns a ticket's department, for presence; an error
	// makes the hub ignore the presence message.
	TicketDepartment func(ctx context.Context, ticketID int64) (string, error)
	Poll             time.Duration // default 150ms
	WriteTimeout     time.Duration // per frame, default 10s
	// Queue is how many frames a client may lag behind before it is
	// disconnected: the size of the shared ring, default 4096.
	Queue       int
	PingEvery   time.Duration // default 30s; the read deadline is 2.5 times it
	PresenceTTL time.Duration // default 60s; clients repeat "viewing" within it
	// Recheck is how often a client's session is checked again, so that
	// logout, disable and role changes reach open sockets; default 1m.
	Recheck time.Duration
	Page    int // events read per store call, default 500
}

func (c *Config) setDefaults() {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Poll <= 0 {
		c.Poll = 150 * time.Millisecond
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = 10 * time.Second
	}
	if c.Queue <= 0 {
		c.Queue = 4096
	}
	if c.PingEvery <= 0 {
		c.PingEvery = 30 * time.Second
	}
	if c.PresenceTTL <= 0 {
		c.PresenceTTL = time.Minute
	}
	if c.Recheck <= 0 {
		c.Recheck = time.Minute
	}
	if c.Page <= 0 {
		c.Page = 500
	}
}

// Viewer is who a client is: what it may see and how presence names it.
type Viewer struct {
	UserID int64
	Login  string
	Name   string
	Scope  anliegen.Scope
	// SeesHealth lets channel.health events through (admins and agents).
	SeesHealth bool
}

// entry is one event (or presence change) in the ring, immutable once
// pushed.
type entry struct {
	id       int64 // event id; 0 for presence
	typ      anliegen.EventType
	dept     string
	prevDept string
	full     *frame // the whole event
	stripped *frame // without content, for the department that lost the ticket
}

// frame is one encoded event with its websocket framing, built once and
// written as is to every client that may see it.
type frame struct {
	data []byte // the JSON object
	wire []byte // the websocket text frame carrying data
}

// newFrame frames JSON data as one unmasked, final text frame (RFC 6455,
// section 5.2), as a server sends it. Writers put several frames into one
// write (see client.writeFrames), which gorilla's API cannot do.
func newFrame(data []byte) *frame {
	n := len(data)
	var head []byte
	switch {
	case n < 126:
		head = []byte{0x81, byte(n)}
	case n <= 0xffff:
		head = []byte{0x81, 126, byte(n >> 8), byte(n)}
	default:
		head = binary.BigEndian.AppendUint64([]byte{0x81, 127}, uint64(n))
	}
	wire := make([]byte, 0, len(head)+n)
	wire = append(append(wire, head...), data...)
	return &frame{data: wire[len(head):], wire: wire}
}

// Hub follows the events log and serves websocket clients.
type Hub struct {
	cfg    Config
	notify chan struct{}
	ready  chan struct{}

	// mu guards the fields below. Writers only read the ring, under RLock,
	// so 500 of them draining one new frame do not queue behind each other.
	mu      sync.RWMutex
	ring    []*entry
	head    uint64 // sequence number of the next entry
	last    int64  // highest event id in the ring
	clients map[*client]struct{}
	// wakeList holds the same clients as a slice that is replaced, never
	// changed, so that the clients are woken after h.mu is released: a
	// writer woken while the pump still holds the lock would block on its
	// read lock and need a second wake-up.
	wakeList []*client
	presence map[presenceKey]presenceState
	closed   bool

	events  atomic.Int64
	dropped atomic.Int64
	lastID  atomic.Int64
}

// New returns a Hub; Run starts it.
func New(cfg Config) *Hub {
	cfg.setDefaults()
	return &Hub{
		cfg:      cfg,
		notify:   make(chan struct{}, 1),
		ready:    make(chan struct{}),
		ring:     make([]*entry, cfg.Queue),
		clients:  map[*client]struct{}{},
		presence: map[presenceKey]presenceState{},
	}
}

// Stats are the hub's counters for metrics.
type Stats struct {
	Clients int   // connected clients
	Events  int64 // events read from the log since start
	Dropped int64 // clients disconnected for not keeping up
	LastID  int64 // highest event id read
}

// Stats returns the current counters.
func (h *Hub) Stats() Stats {
	h.mu.RLock()
	n := len(h.clients)
	h.mu.RUnlock()
	return Stats{Clients: n, Events: h.events.Load(), Dropped: h.dropped.Load(), LastID: h.lastID.Load()}
}

// Notify makes the hub read new events now. It never blocks.
func (h *Hub) Notify() {
	select {
	case h.notify <- struct{}{}:
	default:
	}
}

// Run follows the events log until ctx ends. It starts at the log's
// current end: clients that want older events ask with since.
func (h *Hub) Run(ctx context.Context) {
	if h.cfg.Events == nil {
		close(h.ready)
		<-ctx.Done()
		return
	}
	for {
		last, err := h.cfg.Events.LastEventID(ctx)
		if err == nil {
			h.mu.Lock()
			h.last = last
			h.mu.Unlock()
			h.lastID.Store(last)
			break
		}
		h.cfg.Logger.Error("hub: read last event id", "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
	close(h.ready)
	poll := time.NewTicker(h.cfg.Poll)
	defer poll.Stop()
	expire := time.NewTicker(h.cfg.PresenceTTL / 4)
	defer expire.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-poll.C:
			h.pump(ctx)
		case <-h.notify:
			h.pump(ctx)
		case <-expire.C:
			h.expirePresence(time.Now())
		}
	}
}

// pump reads every event after the ring's last id into the ring and wakes
// the clients.
func (h *Hub) pump(ctx context.Context) {
	for {
		evs, err := h.cfg.Events.EventsAfter(ctx, h.lastSeen(), h.cfg.Page)
		if err != nil {
			if ctx.Err() == nil {
				h.cfg.Logger.Error("hub: read events", "err", err)
			}
			return
		}
		if len(evs) == 0 {
			return
		}
		entries := make([]*entry, len(evs))
		for i := range evs {
			entries[i] = newEntry(&evs[i])
		}
		h.mu.Lock()
		for _, e := range entries {
			h.push(e)
		}
		h.last = evs[len(evs)-1].ID
		cs := h.wakeList
		h.mu.Unlock()
		wake(cs)
		h.events.Add(int64(len(evs)))
		h.lastID.Store(evs[len(evs)-1].ID)
		if len(evs) < h.cfg.Page {
			return
		}
	}
}

func (h *Hub) lastSeen() int64 {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.last
}

// push appends e to the ring; h.mu is held.
func (h *Hub) push(e *entry) {
	h.ring[h.head%uint64(len(h.ring))] = e
	h.head++
}

// wake tells clients there is something new. Call it without h.mu.
func wake(cs []*client) {
	for _, c := range cs {
		c.wakeUp()
	}
}

// addClient and removeClient keep clients and wakeList; h.mu is held.
func (h *Hub) addClient(c *client) {
	h.clients[c] = struct{}{}
	h.wakeList = append(slices.Clip(h.wakeList), c)
}

func (h *Hub) removeClient(c *client) {
	delete(h.clients, c)
	if i := slices.Index(h.wakeList, c); i >= 0 {
		h.wakeList = slices.Concat(h.wakeList[:i], h.wakeList[i+1:])
	}
}

func newEntry(ev *anliegen.Event) *entry {
	e := &entry{id: ev.ID, typ: ev.Type, dept: ev.Department, prevDept: ev.PrevDepartment}
	e.full = newFrame(mustJSON(ev))
	if ev.PrevDepartment != "" {
		e.stripped = newFrame(mustJSON(strip(ev)))
	}
	return e
}

// strip is what a department learns of a ticket that left it: that it
// left and where to, no content.
func strip(ev *anliegen.Event) anliegen.Event {
	return anliegen.Event{ID: ev.ID, Type: ev.Type, TicketID: ev.TicketID, Department: ev.Department,
		PrevDepartment: ev.PrevDepartment, CreatedAt: ev.CreatedAt}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		// Events are plain structs with RawMessage data the store wrote
		// with json.Marshal; an error here is a programming error.
		panic("hub: encode frame: " + err.Error())
	}
	return b
}

// frameFor returns the frame v may see for e, nil if none.
func frameFor(e *entry, v *Viewer) *frame {
	switch {
	case e.typ == anliegen.EventChannelHealth:
		if v.SeesHealth {
			return e.full
		}
		return nil
	case v.Scope.Allows(e.dept):
		return e.full
	case e.prevDept != "" && v.Scope.Allows(e.prevDept):
		return e.stripped
	}
	return nil
}

// CloseAll disconnects every client with the going-away close code and
// refuses new ones: the server is shutting down.
func (h *Hub) CloseAll() {
	h.mu.Lock()
	h.closed = true
	cs := make([]*client, 0, len(h.clients))
	for c := range h.clients {
		cs = append(cs, c)
	}
	h.mu.Unlock()
	for _, c := range cs {
		c.closeWith(websocket.CloseGoingAway, "server shutting down")
	}
}
