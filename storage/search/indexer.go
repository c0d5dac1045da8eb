package search

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/blevesearch/bleve/v2"
	index "github.com/blevesearch/bleve_index_api"

	"github.com/anliegen/anliegen"
)

// Run follows the events log of src from the index's checkpoint until ctx
// is done, then returns nil. Each round reads up to BatchEvents events,
// loads the current documents of the tickets they name and replaces those
// tickets' documents and the checkpoint in one bleve batch, so a crash at
// any point resumes where the index left off. When idle it polls every
// PollInterval, or sooner after Notify. A fresh index, or one built by an
// older mapping, is rebuilt from the store first.
func (x *Index) Run(ctx context.Context, src anliegen.IndexSource) error {
	if x.readOnly {
		return errors.New("run indexer: index is read-only")
	}
	if err := x.rebuildIfNeeded(ctx, src); err != nil && ctx.Err() == nil {
		x.logger.Error("rebuild search index", "err", err)
	}
	backoff := time.Duration(0)
	for {
		n, err := x.step(ctx, src)
		if ctx.Err() != nil {
			return nil
		}
		wait := x.opts.PollInterval
		switch {
		case err != nil:
			backoff = min(max(2*backoff, time.Second), time.Minute)
			wait = backoff
			x.logger.Error("index events", "err", err, "retry_in", backoff)
		case n == x.opts.BatchEvents:
			backoff = 0
			continue // more to catch up with
		default:
			backoff = 0
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-x.notify:
			t.Stop()
		case <-t.C:
		}
	}
}

// Notify wakes the indexer for new events, e.g. after a local ingest, so
// that they are searchable without waiting for the next poll.
func (x *Index) Notify() {
	select {
	case x.notify <- struct{}{}:
	default:
	}
}

// rebuildIfNeeded rebuilds an index that has never seen an event although
// the store has some, or whose mapping is outdated: walking the tickets is
// much faster than replaying the whole log.
func (x *Index) rebuildIfNeeded(ctx context.Context, src anliegen.IndexSource) error {
	x.mu.RLock()
	cp, err := checkpoint(x.idx)
	var version []byte
	if err == nil {
		version, err = x.idx.GetInternal(keyVersion)
	}
	x.mu.RUnlock()
	if err != nil {
		return err
	}
	if string(version) == mappingVersion && cp > 0 {
		return nil
	}
	last, err := src.LastEventID(ctx)
	if err != nil {
		return fmt.Errorf("last event: %w", err)
	}
	if last == 0 && string(version) == mappingVersion {
		return nil
	}
	x.logger.Info("rebuilding search index", "checkpoint", cp, "last_event", last,
		"mapping_version", string(version))
	return x.Rebuild(ctx, src)
}

// step indexes the next batch of events and returns how many it read.
func (x *Index) step(ctx context.Context, src anliegen.IndexSource) (int, error) {
	x.writeMu.Lock()
	defer x.writeMu.Unlock()
	// Only this goroutine and a swap (which holds writeMu) change x.idx,
	// so reading it without mu is safe here.
	idx := x.idx
	if idx == nil {
		return 0, errClosed
	}
	cp, err := checkpoint(idx)
	if err != nil {
		return 0, err
	}
	events, err := src.EventsAfter(ctx, cp, x.opts.BatchEvents)
	if err != nil {
		return 0, fmt.Errorf("read events after %d: %w", cp, err)
	}
	if len(events) == 0 {
		return 0, nil
	}
	var tickets []int64
	seen := map[int64]bool{}
	for _, e := range events {
		if e.TicketID != 0 && !seen[e.TicketID] {
			seen[e.TicketID] = true
			tickets = append(tickets, e.TicketID)
		}
	}
	last := events[len(events)-1].ID
	b := idx.NewBatch()
	if len(tickets) > 0 {
		docs, err := src.IndexDocs(ctx, tickets)
		if err != nil {
			return 0, fmt.Errorf("load documents: %w", err)
		}
		if err := deleteTickets(idx, b, tickets); err != nil {
			return 0, err
		}
		if err := addDocs(idx, b, docs); err != nil {
			return 0, err
		}
	}
	b.SetInternal(keyCheckpoint, []byte(strconv.FormatInt(last, 10)))
	if err := idx.Batch(b); err != nil {
		return 0, fmt.Errorf("index batch: %w", err)
	}
	x.logger.DebugContext(ctx, "indexed events", "events", len(events), "tickets", len(tickets), "checkpoint", last)
	return len(events), nil
}

// deleteTickets adds to b the deletion of every document of tickets.
func deleteTickets(idx bleve.Index, b *bleve.Batch, tickets []int64) error {
	a, err := idx.Advanced()
	if err != nil {
		return fmt.Errorf("delete old documents: %w", err)
	}
	r, err := a.Reader()
	if err != nil {
		return fmt.Errorf("delete old documents: %w", err)
	}
	defer r.Close()
	for _, t := range tickets {
		ids, err := ticketDocIDs(r, t)
		if err != nil {
			return fmt.Errorf("delete old documents: %w", err)
		}
		for _, id := range ids {
			b.Delete(id)
		}
	}
	return nil
}

// ticketDocIDs returns the IDs of the documents of ticket. Document IDs
// begin with the ticket ID (see docID), and bleve keeps a dictionary of
// them, so no field of their own is needed. Deleted documents may still
// be listed until segments merge; deleting them again does no harm.
func ticketDocIDs(r index.IndexReader, ticket int64) ([]string, error) {
	fd, err := r.FieldDictPrefix("_id", []byte(strconv.FormatInt(ticket, 10)+"-"))
	if err != nil {
		return nil, err
	}
	defer fd.Close()
	var ids []string
	for {
		e, err := fd.Next()
		if err != nil {
			return nil, err
		}
		if e == nil {
			return ids, nil
		}
		ids = append(ids, e.Term)
	}
}

// addDocs adds docs to b. Notes are never indexed: they are internal and
// IndexDocs should not return them, but the index must not rely on that.
func addDocs(idx bleve.Index, b *bleve.Batch, docs []anliegen.IndexDoc) error {
	db, err := newBuilder(idx.Mapping())
	if err != nil {
		return err
	}
	answered := map[int64]bool{}
	for i := range docs {
		if docs[i].Direction == anliegen.DirectionOut {
			answered[docs[i].TicketID] = true
		}
	}
	for i := range docs {
		d := &docs[i]
		if d.Direction == anliegen.DirectionNote {
			continue
		}
		if err := b.IndexAdvanced(db.document(d, answered[d.TicketID])); err != nil {
			return fmt.Errorf("index message %d: %w", d.MessageID, err)
		}
	}
	return nil
}
