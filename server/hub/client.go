package hub

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// Session is one websocket client's start: who it is and where it resumes.
type Session struct {
	Viewer Viewer
	// Since, when Resume is set, is the last event id the client saw: it
	// gets every visible event with a higher id, then live events.
	Since  int64
	Resume bool
	// Recheck returns the viewer again (the session may have ended or the
	// user changed); an error disconnects the client. Nil skips it.
	Recheck func(ctx context.Context) (Viewer, error)
}

// client is one connected websocket. Its writer goroutine owns the socket's
// write side; the goroutine running Serve reads.
type client struct {
	h       *Hub
	conn    *websocket.Conn
	viewer  atomic.Pointer[Viewer]
	recheck func(ctx context.Context) (Viewer, error)
	wake    chan struct{}
	done    chan struct{}
	once    sync.Once

	// next is the ring sequence of the next entry to send. Only the
	// client's writer goroutine uses it.
	next uint64
	// lastPresence is when the reader last accepted a presence message.
	lastPresence time.Time
}

// batchSize bounds how many ring entries a writer copies per lock.
const batchSize = 64

// Serve registers a client on conn and starts its reader and writer
// goroutines; it returns at once, and the goroutines close conn when the
// client disconnects, the server shuts down or ctx ends. A client without
// Resume gets every event after the moment Serve was called.
func (h *Hub) Serve(ctx context.Context, conn *websocket.Conn, s Session) {
	c := &client{h: h, conn: conn, recheck: s.Recheck, wake: make(chan struct{}, 1), done: make(chan struct{})}
	select {
	case <-h.ready:
	case <-ctx.Done():
		c.closeWith(websocket.CloseGoingAway, "server shutting down")
		return
	}
	v := s.Viewer
	c.viewer.Store(&v)
	h.mu.Lock()
	if h.closed || ctx.Err() != nil {
		h.mu.Unlock()
		c.closeWith(websocket.CloseGoingAway, "server shutting down")
		return
	}
	if !s.Resume {
		// Fix the start now, not when the writer first runs, so that
		// nothing committed after the handshake is missed.
		s.Since, s.Resume = h.last, true
	}
	// Not live yet: next is set when the replay has caught up.
	h.addClient(c)
	h.mu.Unlock()

	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		defer c.close()
		c.writeLoop(ctx, s.Since, s.Resume)
	}()
	go func() {
		c.readLoop(ctx)
		c.close()
		<-writerDone
		h.remove(c)
	}()
}

func (c *client) wakeUp() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

func (c *client) close() {
	c.once.Do(func() {
		close(c.done)
		c.conn.Close()
	})
}

// closeWith sends a close frame with code and reason, then closes.
func (c *client) closeWith(code int, reason string) {
	_ = c.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(time.Second))
	c.close()
}

// writeFrames writes frames in one system call (writev), with one write
// deadline for all. Data frames bypass gorilla's writer, which sends one
// message per call: a writer that fell behind (a busy machine, a burst of
// events) catches up with one write instead of one per event. This is
// sound because the server enables no compression, the frames are
// complete, and the socket's own write lock keeps a concurrent control
// frame (WriteControl: pong, close) from landing inside one of them.
func (c *client) writeFrames(fs []*frame) error {
	if len(fs) == 0 {
		return nil
	}
	nc := c.conn.NetConn()
	if err := nc.SetWriteDeadline(time.Now().Add(c.h.cfg.WriteTimeout)); err != nil {
		return err
	}
	var err error
	if len(fs) == 1 {
		_, err = nc.Write(fs[0].wire)
	} else {
		bufs := make(net.Buffers, len(fs))
		for i, f := range fs {
			bufs[i] = f.wire
		}
		_, err = bufs.WriteTo(nc)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		c.h.dropped.Add(1)
	}
	return err
}

func (c *client) writeLoop(ctx context.Context, since int64, resume bool) {
	pos, err := c.catchUp(ctx, since, resume)
	if err != nil {
		return
	}
	ping := time.NewTicker(c.h.cfg.PingEvery)
	defer ping.Stop()
	recheck := time.NewTicker(c.h.cfg.Recheck)
	defer recheck.Stop()
	for {
		if !c.drain(&pos) {
			return
		}
		select {
		case <-c.wake:
		case <-ping.C:
			if c.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(c.h.cfg.WriteTimeout)) != nil {
				return
			}
		case <-recheck.C:
			if c.recheck == nil {
				continue
			}
			v, err := c.recheck(ctx)
			if err != nil {
				c.closeWith(websocket.ClosePolicyViolation, "session ended")
				return
			}
			c.viewer.Store(&v)
		case <-c.done:
			return
		case <-ctx.Done():
			c.closeWith(websocket.CloseGoingAway, "server shutting down")
			return
		}
	}
}

// catchUp replays events after since from the store and makes the client
// live; it returns the last event id the client has been given (or
// skipped as invisible).
func (c *client) catchUp(ctx context.Context, since int64, resume bool) (int64, error) {
	h := c.h
	pos := h.lastSeen()
	if resume {
		if since > pos {
			// The client may have seen ids past the ring in an earlier
			// replay; only an id past the store's end (a restored backup)
			// is pulled back.
			last, err := h.cfg.Events.LastEventID(ctx)
			if err != nil {
				return 0, err
			}
			since = min(since, last)
		}
		pos = max(since, 0)
	}
	for {
		h.mu.Lock()
		if pos >= h.last {
			c.next = h.head
			snapshot := h.presenceFor(c)
			h.mu.Unlock()
			if err := c.writeFrames(snapshot); err != nil {
				return 0, err
			}
			return pos, nil
		}
		h.mu.Unlock()
		evs, err := h.cfg.Events.EventsAfter(ctx, pos, h.cfg.Page)
		if err != nil {
			if ctx.Err() == nil {
				h.cfg.Logger.Error("hub: replay events", "err", err)
			}
			return 0, err
		}
		if len(evs) == 0 {
			// Nothing after pos although the ring has more: ids were
			// removed (a restored backup). Join at the ring's end.
			pos = h.lastSeen()
			continue
		}
		v := c.viewer.Load()
		out := make([]*frame, 0, batchSize)
		for i := range evs {
			if f := frameFor(newEntry(&evs[i]), v); f != nil {
				out = append(out, f)
			}
			if len(out) == batchSize || i == len(evs)-1 {
				if err := c.writeFrames(out); err != nil {
					return 0, err
				}
				out = out[:0]
			}
			pos = evs[i].ID
		}
	}
}

// drain writes every ring entry the client has not had yet. It returns
// false when the client is gone or was too slow.
func (c *client) drain(pos *int64) bool {
	h := c.h
	var batch [batchSize]*entry
	var out [batchSize]*frame
	for {
		h.mu.RLock()
		lag := h.head - c.next
		if lag > uint64(len(h.ring)) {
			h.mu.RUnlock()
			h.dropped.Add(1)
			c.closeWith(websocket.CloseTryAgainLater, "too slow; resume with since")
			return false
		}
		n := int(min(lag, batchSize))
		for i := range n {
			batch[i] = h.ring[(c.next+uint64(i))%uint64(len(h.ring))]
		}
		c.next += uint64(n)
		h.mu.RUnlock()
		if n == 0 {
			return true
		}
		v := c.viewer.Load()
		fs := out[:0]
		for _, e := range batch[:n] {
			if e.id != 0 {
				if e.id <= *pos {
					continue // replayed before going live
				}
				*pos = e.id
			}
			if f := frameFor(e, v); f != nil {
				fs = append(fs, f)
			}
		}
		if c.writeFrames(fs) != nil {
			return false
		}
	}
}

// readLoop reads the client's messages (presence) and pongs until the
// connection fails or goes silent.
func (c *client) readLoop(ctx context.Context) {
	wait := c.h.cfg.PingEvery * 5 / 2
	c.conn.SetReadLimit(4096)
	_ = c.conn.SetReadDeadline(time.Now().Add(wait))
	c.conn.SetPongHandler(func(string) error {
		return c.conn.SetReadDeadline(time.Now().Add(wait))
	})
	for {
		_, msg, err := c.conn.ReadMessage()
		if err != nil {
			return
		}
		_ = c.conn.SetReadDeadline(time.Now().Add(wait))
		c.h.receive(ctx, c, msg)
	}
}

// remove forgets c and announces that its presence ended.
func (h *Hub) remove(c *client) {
	h.mu.Lock()
	h.removeClient(c)
	left := false
	for k, st := range h.presence {
		if k.c == c {
			delete(h.presence, k)
			h.push(presenceEntry(k.ticket, st, "left"))
			left = true
		}
	}
	cs := h.wakeList
	h.mu.Unlock()
	if left {
		wake(cs)
	}
}
