package connectors

import (
	"context"

	"github.com/anliegen/anliegen"
)

// fetcher polls ahead while earlier pages are ingested, so that a channel
// catching up (a backfill, a burst) uses the network and the store at
// once, and pages that arrived meanwhile go to the store in one
// transaction. It is the only caller of the connector's Poll while it
// runs, which keeps to "one goroutine at a time".
type fetcher struct {
	pages  chan fetched
	cancel context.CancelFunc
	done   chan struct{}
}

// fetched is one page of a fetcher: the Poll result for cursor from.
type fetched struct {
	from string
	res  anliegen.PollResult
	err  error
}

// fetchDepth is how many pages a fetcher holds ready at most.
const fetchDepth = 3

// startFetcher polls from cursor page after page while the platform says
// there is more, has no error and does not ask to slow down; each page
// waits in the buffer until the worker takes it.
func (r *Runtime) startFetcher(ctx context.Context, w *worker, cursor string) *fetcher {
	fctx, cancel := context.WithCancel(ctx)
	f := &fetcher{pages: make(chan fetched, fetchDepth), cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(f.done)
		defer close(f.pages)
		for cur := cursor; ; {
			pctx, pcancel := context.WithTimeout(fctx, r.opts.PollTimeout)
			res, err := w.conn.Poll(pctx, cur)
			pcancel()
			if fctx.Err() != nil {
				return // abandoned: the page may be cut short
			}
			select {
			case f.pages <- fetched{from: cur, res: res, err: err}:
			case <-fctx.Done():
				return
			}
			if err != nil || !res.More || pace(res.RateLimit, r.opts.Clock.Now()) > 0 {
				return
			}
			cur = res.Cursor
		}
	}()
	return f
}

// stop abandons the fetcher and waits until its Poll has returned.
func (f *fetcher) stop() {
	f.cancel()
	<-f.done
}

// fetch returns the poll result for st.cursor: the fetcher's next page if
// it starts there, else a Poll of its own (after a stale fetcher ended).
func (r *Runtime) fetch(ctx context.Context, w *worker, st *pollState) (anliegen.PollResult, error) {
	if p := st.held; p != nil {
		st.held = nil
		if p.from == st.cursor {
			return p.res, p.err
		}
	}
	if f := st.next; f != nil {
		select {
		case p, ok := <-f.pages:
			if ok && p.from == st.cursor && ctx.Err() == nil {
				return p.res, p.err
			}
		case <-ctx.Done():
		}
		// Stale (an ingest failed and the cursor stayed) or finished.
		f.stop()
		st.next = nil
	}
	pctx, cancel := context.WithTimeout(ctx, r.opts.PollTimeout)
	defer cancel()
	return w.conn.Poll(pctx, st.cursor)
}

// coalesce appends to res the pages the fetcher already holds, as long as
// each follows on the one before and the batch stays within
// IngestMaxItems; it never waits for a page. A page with an error is held
// back for the next fetch. The items and the last page's cursor go to the
// store in one transaction, so the cursor still moves only past stored
// items.
func (r *Runtime) coalesce(st *pollState, res anliegen.PollResult) anliegen.PollResult {
	f := st.next
	if f == nil {
		return res
	}
	for res.More && len(res.Items) < r.opts.IngestMaxItems {
		var p fetched
		var ok bool
		select {
		case p, ok = <-f.pages:
		default:
			return res
		}
		if !ok {
			return res // ended; fetch notices
		}
		if p.err != nil || p.from != res.Cursor || len(res.Items)+len(p.res.Items) > r.opts.IngestMaxItems {
			st.held = &p
			return res
		}
		res.Items = append(res.Items, p.res.Items...)
		res.Skipped = append(res.Skipped, p.res.Skipped...)
		res.Cursor, res.More = p.res.Cursor, p.res.More
		if p.res.RateLimit != nil {
			res.RateLimit = p.res.RateLimit
		}
	}
	return res
}
