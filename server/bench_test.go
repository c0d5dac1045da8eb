package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/anliegen/anliegen"
	"github.com/anliegen/anliegen/storage"
)

// Benchmarks of the server; results and commands in docs/BENCHMARKS.md
// ("Server"). Run them one at a time with -benchtime 1x: each builds its
// own store and reports percentiles as metrics.

// percentile returns the p-th percentile of sorted durations.
func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	return d[min(len(d)-1, int(float64(len(d))*p))]
}

func reportLatency(b *testing.B, prefix string, d []time.Duration) {
	slices.Sort(d)
	b.ReportMetric(float64(percentile(d, .50).Microseconds())/1000, prefix+"_p50_ms")
	b.ReportMetric(float64(percentile(d, .99).Microseconds())/1000, prefix+"_p99_ms")
}

// BenchmarkTicketListHTTP lists the newest 50 tickets of a department, and
// the next pages, from a store of 100,000 tickets: through HTTP (session,
// JSON, router, logging, metrics) and, as the baseline, straight from the
// store with the same filter.
func BenchmarkTicketListHTTP(b *testing.B) {
	const tickets, requests = 100000, 1500
	e := newEnv(b)
	recs := make([]storage.HistoryRecord, tickets)
	depts := []string{"abfall", "bauamt", "ordnungsamt", "buergerbuero", "jugendamt"}
	now := time.Now()
	for i := range recs {
		recs[i] = storage.HistoryRecord{ID: fmt.Sprintf("h%d", i), Platform: anliegen.PlatformMastodon, Kind: anliegen.KindDM,
			Author: fmt.Sprintf("buerger%d", i%9000), Text: fmt.Sprintf("Anliegen %d zur Stadt", i), Department: depts[i%len(depts)],
			Answer: "Danke, erledigt.", CreatedAt: now.Add(-time.Duration(i) * time.Minute)}
	}
	if _, err := e.db.ImportHistory(e.ctx, recs); err != nil {
		b.Fatal(err)
	}
	agent := e.session(e.user("agent", anliegen.RoleAgent))
	dep := e.session(e.user("dep", anliegen.RoleDepartment, "abfall"))
	paths := []struct {
		c      *client
		path   string
		filter anliegen.TicketFilter
	}{
		{agent, "/api/v1/tickets?limit=50", anliegen.TicketFilter{Scope: anliegen.ScopeAll, ViewerID: agent.user.ID, Limit: 50}},
		{agent, "/api/v1/tickets?department=bauamt&limit=50", anliegen.TicketFilter{Scope: anliegen.ScopeAll, Departments: []string{"bauamt"}, ViewerID: agent.user.ID, Limit: 50}},
		{dep, "/api/v1/tickets?limit=50&sort=priority", anliegen.TicketFilter{Scope: anliegen.ScopeOf(&dep.user), Sort: "priority", ViewerID: dep.user.ID, Limit: 50}},
	}
	b.ResetTimer()
	for range b.N {
		var viaHTTP, direct, noUnread []time.Duration
		for i := range requests {
			p := paths[i%len(paths)]
			t0 := time.Now()
			resp, raw := p.c.do("GET", p.path, nil)
			viaHTTP = append(viaHTTP, time.Since(t0))
			if resp.StatusCode != 200 || len(raw) < 1000 {
				b.Fatalf("%s: %d", p.path, resp.StatusCode)
			}
			t0 = time.Now()
			page, err := e.db.ListTickets(e.ctx, p.filter)
			direct = append(direct, time.Since(t0))
			if err != nil || len(page.Items) != 50 {
				b.Fatalf("direct list: %v", err)
			}
			f := p.filter
			f.ViewerID = 0
			t0 = time.Now()
			if _, err := e.db.ListTickets(e.ctx, f); err != nil {
				b.Fatal(err)
			}
			noUnread = append(noUnread, time.Since(t0))
		}
		reportLatency(b, "http", viaHTTP)
		reportLatency(b, "store", direct)
		reportLatency(b, "store_no_unread", noUnread)
	}
}

// rawConn opens a TCP connection to the test server and sends req, then
// reads the response head and leaves the connection idle. Clients made of
// a bare socket cost this process almost nothing, so memory measured
// around them is the server's.
func rawConn(b *testing.B, e *env, req string) net.Conn {
	conn, err := net.Dial("tcp", strings.TrimPrefix(e.ts.URL, "http://"))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := conn.Write([]byte(req)); err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 4096)
	n, err := conn.Read(buf)
	if err != nil || !bytes.Contains(buf[:n], []byte("\r\n\r\n")) || !bytes.HasPrefix(buf[:n], []byte("HTTP/1.1 10")) && !bytes.HasPrefix(buf[:n], []byte("HTTP/1.1 200")) {
		b.Fatalf("raw response %q: %v", buf[:n], err)
	}
	return conn
}

// serverBytesPerConn returns the growth of this process's heap and stacks
// per connection while n connections made by open are idle.
func serverBytesPerConn(b *testing.B, n int, open func() net.Conn) float64 {
	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	conns := make([]net.Conn, n)
	for i := range conns {
		conns[i] = open()
	}
	time.Sleep(300 * time.Millisecond) // let the server's goroutines park
	runtime.GC()
	runtime.ReadMemStats(&m1)
	for _, c := range conns {
		c.Close()
	}
	time.Sleep(300 * time.Millisecond)
	return float64(int64(m1.HeapAlloc+m1.StackInuse)-int64(m0.HeapAlloc+m0.StackInuse)) / float64(n)
}

// BenchmarkStreamMemory: the server's heap and stack per idle websocket
// connection. Baseline: an idle keep-alive HTTP connection to the same
// server after one request.
func BenchmarkStreamMemory(b *testing.B) {
	const n = 500
	e := newEnv(b)
	su := e.streamSession(e.user("agent", anliegen.RoleAgent))
	host := strings.TrimPrefix(e.ts.URL, "http://")
	keepAlive := "GET /healthz HTTP/1.1\r\nHost: " + host + "\r\n\r\n"
	upgrade := "GET /api/v1/stream HTTP/1.1\r\nHost: " + host + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nCookie: " + sessionCookie + "=" + su.token + "\r\n\r\n"
	for range b.N {
		base := serverBytesPerConn(b, n, func() net.Conn { return rawConn(b, e, keepAlive) })
		ws := serverBytesPerConn(b, n, func() net.Conn { return rawConn(b, e, upgrade) })
		if c := e.srv.hub.Stats().Clients; c != 0 {
			b.Logf("%d clients still registered", c)
		}
		b.ReportMetric(base, "http_keepalive_bytes/conn")
		b.ReportMetric(ws, "ws_bytes/conn")
	}
}

// BenchmarkIngestToFrame: one client; each iteration ingests one item and
// waits for its ticket.created frame: the latency a member of staff sees
// between a message arriving and it showing in the inbox.
func BenchmarkIngestToFrame(b *testing.B) {
	e := newEnv(b)
	su := e.streamSession(e.user("agent", anliegen.RoleAgent))
	ch := e.channel(anliegen.PlatformMastodon)
	conn, err := e.dialStream(su.token, "", nil)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	var d []time.Duration
	b.ResetTimer()
	for i := range b.N {
		res, err := e.db.Ingest(e.ctx, ch, []anliegen.Item{e.item(fmt.Sprint("Frage ", i))}, "")
		t0 := time.Now()
		if err != nil {
			b.Fatal(err)
		}
		e.srv.Notify()
		for {
			_, msg, err := conn.ReadMessage()
			if err != nil {
				b.Fatal(err)
			}
			var fr struct {
				ID int64 `json:"id"`
			}
			if json.Unmarshal(msg, &fr) == nil && fr.ID >= res.LastEvent {
				break
			}
		}
		d = append(d, time.Since(t0))
	}
	b.StopTimer()
	reportLatency(b, "commit_to_frame", d)
}
