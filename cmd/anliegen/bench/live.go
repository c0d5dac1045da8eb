package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/anliegen/anliegen"
)

// liveRate paces the latency part of the live phase: items arrive one by
// one, like a busy town's inbox in a storm, but below saturation, so
// the latency is the pipeline's and not a queue's.
const liveRate = 50

// live ingests items one at a time through Ingest with the server and one
// websocket client connected. An item is done when it is committed, the
// index's checkpoint has passed its last event and the client has
// received that event's frame. First a paced run gives the latency
// percentiles, then an unpaced run the sustained rate.
func (b *run) live(ctx context.Context) error {
	ls, err := b.startServer(ctx)
	if err != nil {
		return err
	}
	b.srv = ls
	client, err := dialWS(ctx, ls.addr, ls.cookie)
	if err != nil {
		return err
	}
	defer client.Close()
	c := newCorpus(b.o.Seed+1, 1<<30, "l")
	// The hub registers a client asynchronously; an item that arrives
	// before is never sent. Wait until a warm-up item comes through.
	if err := b.warmUp(ctx, c, []*wsClient{client}); err != nil {
		return err
	}
	w := watchCheckpoint(b.st.idx.Checkpoint)
	defer w.Stop()

	paced := clamp(b.o.Messages/200, 20, 300)
	sustained := clamp(b.o.Messages/40, 50, 3000)
	items := make([]liveItem, 0, paced+sustained)
	start := time.Now()
	for i := range paced {
		if err := sleepUntil(ctx, start.Add(time.Duration(i)*time.Second/liveRate)); err != nil {
			return err
		}
		it, err := b.ingestOne(ctx, c)
		if err != nil {
			return err
		}
		items = append(items, it)
		b.p.count("%d/%d paced items", i+1, paced)
	}
	if err := waitAll(ctx, []*wsClient{client}, w, items[len(items)-1].last); err != nil {
		return err
	}
	sustainStart := time.Now()
	for i := range sustained {
		it, err := b.ingestOne(ctx, c)
		if err != nil {
			return err
		}
		items = append(items, it)
		b.p.count("%d/%d unpaced items", i+1, sustained)
	}
	if err := waitAll(ctx, []*wsClient{client}, w, items[len(items)-1].last); err != nil {
		return err
	}
	w.Stop()
	client.Close()
	frames := map[int64]time.Time{}
	for _, a := range client.recv {
		frames[a.id] = a.at
	}
	var lat, commit []time.Duration
	var lastDone time.Time
	for i, it := range items {
		indexed, ok1 := w.reached(it.last)
		framed, ok2 := frames[it.last]
		if !ok1 || !ok2 {
			return fmt.Errorf("item %d (event %d) never arrived", i, it.last)
		}
		done := later(indexed, framed)
		if i < paced {
			lat = append(lat, done.Sub(it.start))
			commit = append(commit, it.commit)
		} else {
			lastDone = later(lastDone, done)
		}
	}
	b.r.LiveItems = len(items)
	b.r.LiveP50MS, b.r.LiveP99MS = percentileMS(lat, 50), percentileMS(lat, 99)
	b.r.LiveIngestP99MS = percentileMS(commit, 99)
	b.r.LiveItemsPerS = float64(sustained) / lastDone.Sub(sustainStart).Seconds()
	b.p.phase("  live p50 %.1f ms p99 %.1f ms (commit alone p99 %.1f ms); sustained %.0f items/s",
		b.r.LiveP50MS, b.r.LiveP99MS, b.r.LiveIngestP99MS, b.r.LiveItemsPerS)
	return nil
}

// liveItem is one item sent: when, how long its commit took, and its
// last event.
type liveItem struct {
	start  time.Time
	commit time.Duration
	last   int64
}

func (b *run) ingestOne(ctx context.Context, c *corpus) (liveItem, error) {
	g, _ := c.next()
	b.r.TextBytes += int64(len(g.item.Text))
	t := time.Now()
	res, err := b.st.ingest(ctx, g.channel, []anliegen.Item{g.item})
	if err != nil {
		return liveItem{}, err
	}
	if res.LastEvent == 0 {
		return liveItem{}, fmt.Errorf("item %s wrote no event", g.item.ExternalID)
	}
	return liveItem{start: t, commit: time.Since(t), last: res.LastEvent}, nil
}

// warmUp sends items until every client has received one, at most 30 s.
func (b *run) warmUp(ctx context.Context, c *corpus, clients []*wsClient) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		it, err := b.ingestOne(ctx, c)
		if err != nil {
			return err
		}
		wctx, cancel := context.WithTimeout(ctx, time.Second)
		err = waitAll(wctx, clients, nil, it.last)
		cancel()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return fmt.Errorf("websocket clients received no event within 30s")
}

// waitAll waits until every client has received event id and, with a
// watcher, the index has passed it; at most a minute.
func waitAll(ctx context.Context, clients []*wsClient, w *checkpointWatcher, id int64) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for {
		ok := w == nil || w.last.Load() >= id
		for _, c := range clients {
			if !ok {
				break
			}
			ok = c.lastID.Load() >= id
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for event %d: %w", id, ctx.Err())
		case <-time.After(2 * time.Millisecond):
		}
	}
}

func sleepUntil(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func clamp(v, lo, hi int) int { return min(max(v, lo), hi) }
