package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"strings"
	"time"

	"github.com/anliegen/anliegen"
)

// ImportResult says what ImportHistory changed.
type ImportResult struct {
	Imported   int // records stored as new tickets
	Duplicates int // records already imported
	Skipped    int // invalid records left out (logged)
	Messages   int // messages stored (question and answer)
	LastEvent  int64
}

// importBatch is the number of records per transaction: large enough that
// commits are rare, small enough that a long import never holds the write
// lock for more than a fraction of a second.
const importBatch = 1000

// importSpread is the window over which records without created_at are
// placed before the import time, so that the demo's inbox is not all one
// second.
const importSpread = 30 * 24 * time.Hour

// ImportHistory stores past inquiries as resolved tickets: the citizen's
// text inbound with the record's id as external id, the answer (if any)
// outbound and sent, department, tags and priority as given. Messages go
// into a hidden, disabled channel "Import (<platform>)" per platform,
// created on first use; departments named by records are created if
// missing. A record already imported is counted as a duplicate, an invalid
// one is skipped. Records are written in transactions of importBatch; on
// error the batches before stay imported and a repeated import continues
// where it stopped. Each record writes one ticket.created event (with
// "imported": true), not one per message.
func (db *DB) ImportHistory(ctx context.Context, recs []HistoryRecord) (ImportResult, error) {
	var total ImportResult
	batch := importBatch
	if db.importBatch > 0 {
		batch = db.importBatch
	}
	for len(recs) > 0 {
		n := min(len(recs), batch)
		var res ImportResult
		start := time.Now()
		err := db.write(ctx, func(tx *sql.Tx) error {
			im := &importTx{db: db, st: newTxStmts(ctx, tx), now: db.now().UTC(),
				channels: map[anliegen.Platform]int64{}, depts: map[string]bool{}}
			im.numbers = newTicketNumbers(im.st, im.now)
			for i := range recs[:n] {
				if err := im.record(&recs[i]); err != nil {
					return fmt.Errorf("record %q: %w", recs[i].ID, err)
				}
			}
			if err := im.numbers.save(); err != nil {
				return err
			}
			res = im.res
			return nil
		})
		if err != nil {
			return total, fmt.Errorf("import history: %w", err)
		}
		total.Imported += res.Imported
		total.Duplicates += res.Duplicates
		total.Skipped += res.Skipped
		total.Messages += res.Messages
		total.LastEvent = max(total.LastEvent, res.LastEvent)
		recs = recs[n:]
		if len(recs) > 0 {
			if err := yieldWriteLock(ctx, time.Since(start)); err != nil {
				return total, err
			}
		}
	}
	return total, nil
}

// yieldWriteLock pauses between import batches so that another process
// (the server's poller while "anliegen import" runs) gets the write lock.
// SQLite's busy handler polls every 100 ms once it has waited a while and
// is not queued: without a gap, an import that commits and begins again at
// once can starve it past its busy_timeout. An eighth of the batch's time
// (10–100 ms) costs the import about 12 % and leaves a waiter many chances.
func yieldWriteLock(ctx context.Context, held time.Duration) error {
	t := time.NewTimer(min(max(held/8, 10*time.Millisecond), 100*time.Millisecond))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

type importTx struct {
	db       *DB
	st       *txStmts
	now      time.Time
	numbers  *ticketNumbers
	nextMsg  int64 // the last message id handed out (nextMessageID)
	channels map[anliegen.Platform]int64
	depts    map[string]bool
	res      ImportResult
}

func (im *importTx) record(r *HistoryRecord) error {
	if err := r.Validate(); err != nil {
		im.res.Skipped++
		im.db.logger.Warn("import: skipped invalid record", "id", truncateUTF8(r.ID, 200), "err", err)
		return nil
	}
	ch, err := im.channel(r.Platform)
	if err != nil {
		return err
	}
	s := im.db.sanitizer
	id := truncateUTF8(cleanText(r.ID), maxShortBytes)
	var exists bool
	if err := im.st.scan(`SELECT EXISTS (SELECT 1 FROM messages WHERE channel_id = ? AND external_id = ? AND external_id <> '')`,
		[]any{ch, id}, &exists); err != nil {
		return fmt.Errorf("look up record: %w", err)
	}
	if exists {
		im.res.Duplicates++
		return nil
	}
	if err := im.department(r.Department); err != nil {
		return err
	}
	author := s.Short(r.Author)
	a := anliegen.Author{ExternalID: "import:" + author, Name: author}
	if strings.HasPrefix(author, "@") {
		a.Handle, a.Name = author, ""
	}
	ident, err := upsertIdentity(im.st, r.Platform, a, im.now)
	if err != nil {
		return err
	}
	contactID := ident.contactID
	created, answered := im.times(r)
	text, answer := s.Text(r.Text), s.Text(strings.TrimSpace(r.Answer))
	tags, err := normalizeTags(r.Tags)
	if err != nil {
		return err
	}
	prio := r.Priority
	if prio == "" {
		prio = anliegen.PriorityNormal
	}
	number, err := im.numbers.next()
	if err != nil {
		return err
	}
	var firstResponse any
	if answer != "" {
		firstResponse = unixMS(answered)
	}
	inID, err := nextMessageID(im.st, &im.nextMsg)
	if err != nil {
		return err
	}
	ticketID, err := im.st.insert(insertTicketSQL, number, string(anliegen.StatusResolved), string(prio), r.Department,
		jsonArray(tags), ch, string(r.Platform), string(r.Kind), contactID, "", "",
		inID, inID, unixMS(created), unixMS(answered), unixMS(answered), firstResponse)
	if err != nil {
		return fmt.Errorf("insert ticket: %w", err)
	}
	in := anliegen.Item{ExternalID: id, Kind: r.Kind, Author: a, Text: text, CreatedAt: created, Lang: s.Short(r.Lang)}
	if err := im.message(&in, inID, ticketID, ch, anliegen.DirectionIn, contactID); err != nil {
		return err
	}
	n := 1
	if answer != "" {
		out := anliegen.Item{Kind: r.Kind, Author: anliegen.Author{Name: "Import"}, Text: answer, CreatedAt: answered, Lang: in.Lang}
		outID, err := nextMessageID(im.st, &im.nextMsg)
		if err != nil {
			return err
		}
		if err := im.message(&out, outID, ticketID, ch, anliegen.DirectionOut, 0); err != nil {
			return err
		}
		n++
	}
	// One event per record, not one per message: an imported ticket
	// appears whole, and the indexer and the hub read whole tickets.
	if err := im.event(anliegen.Event{Type: anliegen.EventTicketCreated, TicketID: ticketID, MessageID: inID, ChannelID: ch,
		Department: r.Department, CreatedAt: im.now,
		Data: eventData(map[string]any{"number": number, "imported": true, "messages": n})}); err != nil {
		return err
	}
	im.res.Imported++
	return nil
}

func (im *importTx) message(m *anliegen.Item, id, ticketID, ch int64, dir anliegen.Direction, contactID int64) error {
	var state, sentAt any
	if dir == anliegen.DirectionOut {
		state, sentAt = string(anliegen.DeliverySent), unixMS(m.CreatedAt)
	}
	if _, err := im.st.exec(insertMessageSQL, id, ticketID, ch, string(dir), m.ExternalID, "", authorName(m.Author),
		nullID(contactID), "", m.Text, "", "", nil, nil, m.Lang, 0, nil, 0, unixMS(m.CreatedAt), state, sentAt); err != nil {
		return fmt.Errorf("insert message: %w", err)
	}
	im.res.Messages++
	return nil
}

func (im *importTx) event(e anliegen.Event) error {
	id, err := im.st.event(e, im.now)
	if err != nil {
		return err
	}
	im.res.LastEvent = id
	return nil
}

// times returns when the citizen wrote and when the answer went out: the
// record's created_at, or a time within importSpread before the import
// derived from the id's hash, so repeated imports agree; the answer
// follows 20 minutes to 2 days later, never after the import.
func (im *importTx) times(r *HistoryRecord) (created, answered time.Time) {
	h := fnv.New64a()
	h.Write([]byte(r.ID))
	sum := h.Sum64()
	created = r.CreatedAt
	if created.IsZero() {
		created = im.now.Add(-time.Duration(sum%uint64(importSpread/time.Second)) * time.Second).Truncate(time.Second)
	}
	delay := 20*time.Minute + time.Duration((sum>>32)%uint64(48*time.Hour/time.Minute))*time.Minute
	answered = created.Add(delay)
	if answered.After(im.now) {
		answered = im.now
	}
	if answered.Before(created) {
		answered = created
	}
	return created, answered
}

// channel returns the hidden import channel of platform p, creating it.
func (im *importTx) channel(p anliegen.Platform) (int64, error) {
	if id, ok := im.channels[p]; ok {
		return id, nil
	}
	name := "Import (" + string(p) + ")"
	var id int64
	err := im.st.scan(`SELECT id FROM channels WHERE hidden AND platform = ? AND name = ?`, []any{string(p), name}, &id)
	if errors.Is(err, sql.ErrNoRows) {
		id, err = im.st.insert(`INSERT INTO channels(platform, name, enabled, hidden, state, created_at)
			VALUES (?, ?, 0, 1, 'disabled', ?)`, string(p), name, unixMS(im.now))
	}
	if err != nil {
		return 0, fmt.Errorf("import channel %s: %w", p, err)
	}
	im.channels[p] = id
	return id, nil
}

// department makes sure the department exists, named by its id until an
// administrator renames it. A file before migration 0002 has no
// departments table; tickets then carry the id alone.
func (im *importTx) department(id string) error {
	if id == "" || im.depts[id] {
		return nil
	}
	_, err := im.st.exec(`INSERT INTO departments(id, name) VALUES (?, ?) ON CONFLICT(id) DO NOTHING`, id, id)
	if err != nil && !isNoSuchTable(err) {
		return fmt.Errorf("create department %s: %w", id, err)
	}
	im.depts[id] = true
	return nil
}
