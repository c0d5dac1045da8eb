package server

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/anliegen/anliegen"
)

// Fan-out benchmark (docs/BENCHMARKS.md, "Server"): 500 websocket clients,
// 20 events/s. The clients record each frame's arrival in their own slice
// and find the id by its prefix, so that the measuring side stays cheap and
// shared by every case.

// fanClient reads frames on one connection.
type fanClient struct {
	conn   *websocket.Conn
	recv   []arrival // written by the read goroutine only; read after done
	lastID atomic.Int64
	done   chan struct{}
}

type arrival struct {
	id int64
	at time.Time
}

func newFanClient(conn *websocket.Conn) *fanClient {
	c := &fanClient{conn: conn, done: make(chan struct{})}
	go c.read()
	return c
}

func (c *fanClient) read() {
	defer close(c.done)
	var buf bytes.Buffer
	for {
		_, r, err := c.conn.NextReader()
		if err != nil {
			return
		}
		buf.Reset()
		if _, err := buf.ReadFrom(r); err != nil {
			return
		}
		at := time.Now()
		if id := frameID(buf.Bytes()); id > 0 {
			c.recv = append(c.recv, arrival{id, at})
			c.lastID.Store(id)
		}
	}
}

// frameID reads the id the hub writes as the first field; 0 for presence.
func frameID(b []byte) int64 {
	rest, ok := bytes.CutPrefix(b, []byte(`{"id":`))
	if !ok {
		return 0
	}
	end := bytes.IndexByte(rest, ',')
	if end < 0 {
		return 0
	}
	n, _ := strconv.ParseInt(string(rest[:end]), 10, 64)
	return n
}

// fanOutRun is one measurement: clients, and when each event id was
// produced.
type fanOutRun struct {
	clients []*fanClient
	sent    map[int64]time.Time
}

func (r *fanOutRun) waitAll(b *testing.B, last int64) {
	deadline := time.Now().Add(time.Minute)
	for _, c := range r.clients {
		for c.lastID.Load() < last {
			if time.Now().After(deadline) {
				b.Fatalf("a client is at %d of %d after a minute", c.lastID.Load(), last)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}

// report closes the clients and reports delivery percentiles of all
// frames and of the last client per event (the 500th frame).
func (r *fanOutRun) report(b *testing.B, cpu time.Duration) {
	var all []time.Duration
	lastPer := map[int64]time.Duration{}
	for _, c := range r.clients {
		c.conn.Close()
		<-c.done
		for _, a := range c.recv {
			if t, ok := r.sent[a.id]; ok {
				d := a.at.Sub(t)
				all = append(all, d)
				lastPer[a.id] = max(lastPer[a.id], d)
			}
		}
	}
	if want := len(r.sent) * len(r.clients); len(all) != want {
		b.Fatalf("%d frames delivered, want %d", len(all), want)
	}
	reportLatency(b, "delivery", all)
	var last []time.Duration
	for _, d := range lastPer {
		last = append(last, d)
	}
	reportLatency(b, "last_client", last)
	b.ReportMetric(float64(cpu.Microseconds())/float64(len(all)), "cpu_us/frame")
}

// fanOutEvents and fanOutInterval: 20 events/s for 10 s.
const (
	fanOutEvents   = 200
	fanOutInterval = 50 * time.Millisecond
	fanOutClients  = 500
)

// BenchmarkStreamFanOut: 500 agents on the stream while one follow-up
// message (one message.created event) is ingested every 50 ms for 10 s;
// delivery latency from the ingest's commit to each client's frame, with
// the hub woken by Notify (as in-process writers and the API do) and by
// its 150 ms poll alone (a writer in another process).
//
// Baseline, "gorilla": plain gorilla broadcast of a frame of the same size
// to 500 clients of a bare server (a goroutine and a channel per
// connection, WriteMessage, a write deadline); latency from the broadcast
// call. It has no store, no replay, no permission filter: it is the floor
// this machine sets for 10,000 frames/s.
func BenchmarkStreamFanOut(b *testing.B) {
	b.Run("gorilla", benchGorillaBroadcast)
	for _, notify := range []bool{true, false} {
		name := map[bool]string{true: "hub/notify", false: "hub/poll"}[notify]
		b.Run(name, func(b *testing.B) { benchHubFanOut(b, notify) })
	}
}

func benchHubFanOut(b *testing.B, notify bool) {
	e := newEnv(b, func(c *Config, _ *Deps) { c.EventPoll = 150 * time.Millisecond })
	su := e.streamSession(e.user("agent", anliegen.RoleAgent))
	ch := e.channel(anliegen.PlatformMastodon)
	first := e.item("Wann wird die Straße vor meinem Haus gekehrt?")
	e.ticket(ch, "", first)
	for range b.N {
		r := &fanOutRun{sent: map[int64]time.Time{}}
		for range fanOutClients {
			conn, err := e.dialStream(su.token, "", nil)
			if err != nil {
				b.Fatal(err)
			}
			r.clients = append(r.clients, newFanClient(conn))
		}
		for e.srv.hub.Stats().Clients < fanOutClients {
			time.Sleep(time.Millisecond)
		}
		cpu0 := cpuTime()
		tick := time.NewTicker(fanOutInterval)
		var last int64
		for i := range fanOutEvents {
			<-tick.C
			it := e.item(fmt.Sprint("Nachtrag ", i))
			it.ThreadID, it.Author = first.ThreadID, first.Author
			res, err := e.db.Ingest(e.ctx, ch, []anliegen.Item{it}, "")
			at := time.Now()
			if err != nil {
				b.Fatal(err)
			}
			if notify {
				e.srv.Notify()
			}
			r.sent[res.LastEvent], last = at, res.LastEvent
		}
		tick.Stop()
		r.waitAll(b, last)
		r.report(b, cpuTime()-cpu0)
	}
}

// broadcaster is the baseline server: gorilla's chat-example shape.
type broadcaster struct {
	mu    sync.Mutex
	sends []chan []byte
}

func (bc *broadcaster) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	up := websocket.Upgrader{ReadBufferSize: 1024, WriteBufferSize: 1024, WriteBufferPool: &sync.Pool{}}
	conn, err := up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	send := make(chan []byte, 256)
	bc.mu.Lock()
	bc.sends = append(bc.sends, send)
	bc.mu.Unlock()
	go func() {
		for msg := range send {
			_ = conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
			if conn.WriteMessage(websocket.TextMessage, msg) != nil {
				return
			}
		}
	}()
	go func() {
		for {
			if _, _, err := conn.NextReader(); err != nil {
				conn.Close()
				return
			}
		}
	}()
}

func (bc *broadcaster) broadcast(msg []byte) {
	bc.mu.Lock()
	defer bc.mu.Unlock()
	for _, s := range bc.sends {
		select {
		case s <- msg:
		default:
		}
	}
}

func benchGorillaBroadcast(b *testing.B) {
	// A frame the size of a message.created event of the hub case.
	body := `"type":"message.created","ticket_id":1,"message_id":2,"department":"","data":{"direction":"in","author":"Bürger 1","preview":"` +
		strings.Repeat("Nachtrag 123 ", 8) + `"},"created_at":"2026-11-25T18:00:00Z"}`
	bc := &broadcaster{}
	ts := httptest.NewServer(bc)
	defer ts.Close()
	for range b.N {
		r := &fanOutRun{sent: map[int64]time.Time{}}
		for range fanOutClients {
			conn, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(ts.URL, "http"), nil)
			if err != nil {
				b.Fatal(err)
			}
			r.clients = append(r.clients, newFanClient(conn))
		}
		for {
			bc.mu.Lock()
			n := len(bc.sends)
			bc.mu.Unlock()
			if n >= fanOutClients*(1+len(r.sent)) {
				break
			}
			time.Sleep(time.Millisecond)
		}
		bc.mu.Lock()
		bc.sends = bc.sends[len(bc.sends)-fanOutClients:]
		bc.mu.Unlock()
		cpu0 := cpuTime()
		tick := time.NewTicker(fanOutInterval)
		var last int64
		for i := range fanOutEvents {
			<-tick.C
			id := int64(i + 1)
			msg := []byte(`{"id":` + strconv.FormatInt(id, 10) + "," + body)
			r.sent[id], last = time.Now(), id
			bc.broadcast(msg)
		}
		tick.Stop()
		r.waitAll(b, last)
		r.report(b, cpuTime()-cpu0)
	}
}

// cpuTime is the CPU time this process has used (user and system): on a
// shared machine it measures the work where wall time measures the queue.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
