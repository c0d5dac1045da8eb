package bench

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/anliegen/anliegen"
)

// fanOutRate is the event rate of the fan-out: a busy afternoon of a city
// inbox, every event going to every connected client.
const fanOutRate = 20

// fanOut connects WSClients clients, measures the memory each connection
// costs, then sends fanOutRate events per second for WSSeconds and
// measures the delay from the Ingest call to each client's frame.
//
// The clients live in this process. The memory figure, taken while the
// indexer pauses, is the growth of heap and goroutine stacks (after GC)
// from connecting them, minus the same growth measured for the same number
// of bare loopback connections with the clients' read goroutine and buffer
// (clientBaseline): what remains is the server's share (socket, buffers,
// hub client, goroutines).
func (b *run) fanOut(ctx context.Context) error {
	ls := b.srv
	n := b.o.WSClients
	// The indexer pauses while memory is measured: its batches and the
	// index's segment merges allocate and free megabytes at their own
	// pace, which would drown the connections' share at small client
	// counts. It runs again for the delivery measurement.
	b.st.stopIndexer()
	before := settledInUse()
	clients := make([]*wsClient, 0, n)
	defer func() {
		for _, c := range clients {
			c.Close()
		}
	}()
	for i := range n {
		c, err := dialWS(ctx, ls.addr, ls.cookie)
		if err != nil {
			return fmt.Errorf("client %d: %w", i, err)
		}
		clients = append(clients, c)
		b.p.count("%d/%d clients connected", i+1, n)
	}
	conv := newWSThread(b.st)
	if err := b.warmUpFanOut(ctx, conv, clients); err != nil {
		return err
	}
	after := settledInUse()
	total := float64(after-min(before, after)) / float64(n)
	client, err := clientBaseline(ctx, n)
	if err != nil {
		return err
	}
	b.r.WSKBPerConnMeasure = total / 1024
	b.r.WSKBPerConnClient = client / 1024
	b.r.WSKBPerConn = max(total-client, 0) / 1024
	b.st.startIndexer()

	sent := map[int64]time.Time{}
	events := int(b.o.WSSeconds * fanOutRate)
	start := time.Now()
	var last int64
	for i := range events {
		if err := sleepUntil(ctx, start.Add(time.Duration(i)*time.Second/fanOutRate)); err != nil {
			return err
		}
		t := time.Now()
		res, err := conv.send(ctx, b.r)
		if err != nil {
			return err
		}
		sent[res.LastEvent] = t
		last = res.LastEvent
		b.p.count("%d/%d events", i+1, events)
	}
	elapsed := time.Since(start)
	if err := waitAll(ctx, clients, nil, last); err != nil {
		b.p.phase("  not every client got the last event: %v", err)
	}
	for _, c := range clients {
		c.Close()
	}
	var lat []time.Duration
	for _, c := range clients {
		for _, a := range c.recv {
			if t, ok := sent[a.id]; ok {
				lat = append(lat, a.at.Sub(t))
			}
		}
	}
	clients = nil
	ls.stop()
	b.srv, b.st.notify = nil, nil
	b.r.WSEventsPerS = float64(events) / elapsed.Seconds()
	b.r.WSMissed = n*events - len(lat)
	b.r.WSP50MS, b.r.WSP99MS = percentileMS(lat, 50), percentileMS(lat, 99)
	b.p.phase("  %d clients, %.1f events/s: delivery p50 %.1f ms p99 %.1f ms, %d missed; %.1f KB per connection on the server (%.1f KB with the client)",
		n, b.r.WSEventsPerS, b.r.WSP50MS, b.r.WSP99MS, b.r.WSMissed, b.r.WSKBPerConn, b.r.WSKBPerConnMeasure)
	return nil
}

// warmUpFanOut sends events until every client has one, so that all are
// registered with the hub and have written a frame before memory is
// measured.
func (b *run) warmUpFanOut(ctx context.Context, conv *wsThread, clients []*wsClient) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		res, err := conv.send(ctx, b.r)
		if err != nil {
			return err
		}
		wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		err = waitAll(wctx, clients, nil, res.LastEvent)
		cancel()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return fmt.Errorf("not every websocket client received an event within 30s")
}

// wsThread is a WhatsApp conversation that the fan-out adds messages to:
// after the first, each message is one event (message.created).
type wsThread struct {
	st      *stack
	channel int
	n       int
}

func newWSThread(st *stack) *wsThread {
	return &wsThread{st: st, channel: channelOf(anliegen.PlatformWhatsApp)}
}

func (w *wsThread) send(ctx context.Context, r *Result) (anliegen.IngestResult, error) {
	w.n++
	text := followUps[w.n%len(followUps)]
	r.TextBytes += int64(len(text))
	it := anliegen.Item{ExternalID: "ws-" + strconv.Itoa(w.n), Kind: anliegen.KindDM, ThreadID: "conv-bench-fan-out",
		Author: anliegen.Author{ExternalID: "u-fan-out", Name: "Lea Weber"}, Text: text,
		CreatedAt: time.Now().UTC(), Lang: "de"}
	res, err := w.st.ingest(ctx, w.channel, []anliegen.Item{it})
	if err == nil && res.LastEvent == 0 {
		err = fmt.Errorf("fan-out item %d wrote no event", w.n)
	}
	return res, err
}

// clientBaseline returns the heap and stack bytes per connection of n bare
// loopback TCP connections, each with a read goroutine and a buffer like
// wsClient's: the clients' own share of what fanOut measures.
func clientBaseline(ctx context.Context, n int) (float64, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("client baseline: %w", err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, n)
	go func() {
		for range n {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	before := inUse()
	conns := make([]net.Conn, 0, 2*n)
	done := make(chan struct{}, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
		for range n {
			<-done
		}
	}()
	var d net.Dialer
	for range n {
		c, err := d.DialContext(ctx, "tcp", ln.Addr().String())
		if err != nil {
			for range n - len(conns) {
				done <- struct{}{}
			}
			return 0, fmt.Errorf("client baseline: %w", err)
		}
		conns = append(conns, c)
		br := bufio.NewReaderSize(c, clientReadBuffer)
		go func() {
			defer func() { done <- struct{}{} }()
			for {
				if _, err := br.ReadByte(); err != nil {
					return
				}
			}
		}()
	}
	for range n {
		select {
		case c := <-accepted:
			conns = append(conns, c)
		case <-time.After(10 * time.Second):
			return 0, fmt.Errorf("client baseline: accept timed out")
		}
	}
	after := inUse()
	return float64(after-min(before, after)) / float64(n), nil
}
