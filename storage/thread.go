package storage

import (
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/anliegen/anliegen"
)

// Threading decides which ticket a new message belongs to:
//
//   - dm: one ticket per conversation (thread_key "dm:<ThreadID>", or
//     "dm:@<author id>" when the platform has no conversation id);
//   - comment: one ticket per citizen per post ("c:<post id>:<author id>");
//   - mail: the ticket of the message named by ParentID, the References
//     (newest first) or the ThreadID, in the same channel.
//
// A message for a resolved or closed ticket reopens it when it was written
// within anliegen.ReopenWindow of the resolution, else starts a new ticket.
// A ticket merged into another forwards to it.

// threadTicket is what threading needs of a ticket. One transaction holds
// one threadTicket per ticket (ingestTx.tickets), so that what an item
// changes (reopen) is what the next item of the batch sees.
type threadTicket struct {
	id         int64
	status     anliegen.Status
	resolvedAt sql.NullInt64
	updatedAt  int64 // as stored when read; ingestTx.updatedAt has the batch's changes
	department string
	mergedInto int64
}

// maxMergeHops bounds the walk along merged_into; merges form no cycles,
// but a corrupt file must not hang ingest.
const maxMergeHops = 16

func threadKey(m *anliegen.Item) string {
	switch m.Kind {
	case anliegen.KindDM:
		if m.ThreadID != "" {
			return "dm:" + m.ThreadID
		}
		if m.FromUs {
			return ""
		}
		return "dm:@" + m.Author.ExternalID
	case anliegen.KindComment:
		if m.FromUs {
			return "" // our reply under a post finds its ticket by ParentID
		}
		post := m.ThreadID
		if post == "" {
			post = m.ParentID
		}
		if post == "" {
			post = m.ExternalID
		}
		return "c:" + strconv.Itoa(len(post)) + ":" + post + ":" + m.Author.ExternalID
	}
	return ""
}

// findTicket returns the ticket m belongs to, nil when none exists yet.
func (in *ingestTx) findTicket(m *anliegen.Item) (*threadTicket, error) {
	var t *threadTicket
	var err error
	if key := threadKey(m); key != "" {
		t, err = in.threadByKey(key)
	}
	if err == nil && t == nil && (m.Kind == anliegen.KindMail || m.FromUs) {
		var id int64
		if id, err = in.ticketByParents(m); err == nil && id != 0 {
			t, err = in.ticketByID(id)
		}
	}
	if err != nil || t == nil || t.mergedInto == 0 {
		return t, err
	}
	return in.followMerges(t.mergedInto)
}

const threadColumns = `id, status, resolved_at, updated_at, department, coalesce(merged_into, 0)`

// threadByKey returns the newest ticket with thread key key, from the
// batch's prefetch (prefetchThreads) or, for a key it did not cover, the
// database.
func (in *ingestTx) threadByKey(key string) (*threadTicket, error) {
	if t, ok := in.threads[key]; ok {
		return t, nil
	}
	t, err := in.threadRow(`SELECT `+threadColumns+` FROM tickets
		WHERE channel_id = ? AND thread_key = ? AND thread_key <> '' ORDER BY id DESC LIMIT 1`, in.channel, key)
	if err == nil {
		in.threads[key] = t
	}
	return t, err
}

// ticketByID returns the transaction's threadTicket of ticket id; nil
// when there is none.
func (in *ingestTx) ticketByID(id int64) (*threadTicket, error) {
	if t := in.tickets[id]; t != nil {
		return t, nil
	}
	return in.threadRow(`SELECT `+threadColumns+` FROM tickets WHERE id = ?`, id)
}

// threadRow reads one ticket for threading; nil when there is none. A
// ticket the transaction already holds is returned as held.
func (in *ingestTx) threadRow(query string, args ...any) (*threadTicket, error) {
	var (
		t      threadTicket
		status string
	)
	err := in.st.scan(query, args, &t.id, &status, &t.resolvedAt, &t.updatedAt, &t.department, &t.mergedInto)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("find thread: %w", err)
	}
	t.status = anliegen.Status(status)
	return in.holdTicket(&t), nil
}

// holdTicket makes t the transaction's copy of its ticket, unless it
// already has one.
func (in *ingestTx) holdTicket(t *threadTicket) *threadTicket {
	if held := in.tickets[t.id]; held != nil {
		return held
	}
	in.tickets[t.id] = t
	return t
}

// prefetchThreads reads the newest ticket of every thread key of items in
// one query per chunk; keys without a ticket are remembered as nil.
func (in *ingestTx) prefetchThreads(items []anliegen.Item) error {
	keys := make([]any, 0, len(items))
	for i := range items {
		if k := threadKey(&items[i]); k != "" {
			if _, ok := in.threads[k]; !ok {
				in.threads[k] = nil
				keys = append(keys, k)
			}
		}
	}
	return inChunks(keys, in.prefetchThreadChunk)
}

func (in *ingestTx) prefetchThreadChunk(keys []any) error {
	st, err := in.st.get(`SELECT thread_key, ` + threadColumns + ` FROM tickets
		WHERE channel_id = ? AND thread_key IN (` + placeholders(len(keys)) + `) AND thread_key <> '' ORDER BY id`)
	if err != nil {
		return err
	}
	rows, err := st.QueryContext(in.st.ctx, append([]any{in.channel}, keys...)...)
	if err != nil {
		return fmt.Errorf("find threads: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			key, status string
			t           threadTicket
		)
		if err := rows.Scan(&key, &t.id, &status, &t.resolvedAt, &t.updatedAt, &t.department, &t.mergedInto); err != nil {
			return fmt.Errorf("find threads: %w", err)
		}
		t.status = anliegen.Status(status)
		in.threads[key] = in.holdTicket(&t) // ORDER BY id: the newest wins
	}
	return rows.Err()
}

// ticketByParents finds the ticket of the nearest ancestor we stored. The
// batch's prefetch (ingestTx.known) covers the parents its items name, so
// most candidates need no query.
func (in *ingestTx) ticketByParents(m *anliegen.Item) (int64, error) {
	cands := make([]string, 0, len(m.References)+2)
	cands = append(cands, m.ParentID)
	for i := len(m.References) - 1; i >= 0; i-- {
		cands = append(cands, m.References[i])
	}
	cands = append(cands, m.ThreadID)
	for _, c := range cands {
		if c == "" || c == m.ExternalID {
			continue
		}
		if old := in.known[c]; old != nil {
			return old.ticketID, nil
		}
		if in.looked[c] {
			continue // prefetched: not stored
		}
		var id int64
		err := in.st.scan(`SELECT ticket_id FROM messages WHERE channel_id = ? AND external_id = ? AND external_id <> ''`,
			[]any{in.channel, c}, &id)
		if err == nil {
			return id, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return 0, fmt.Errorf("find parent: %w", err)
		}
	}
	return 0, nil
}

func (in *ingestTx) followMerges(id int64) (*threadTicket, error) {
	for range maxMergeHops {
		t, err := in.ticketByID(id)
		if err != nil {
			return nil, err
		}
		if t == nil {
			return nil, fmt.Errorf("ticket %d: merged into a missing ticket", id)
		}
		if t.mergedInto == 0 {
			return t, nil
		}
		id = t.mergedInto
	}
	return nil, fmt.Errorf("ticket %d: merge chain longer than %d", id, maxMergeHops)
}

// doneAt is when t was resolved, or last updated for a ticket closed
// without resolving.
func (in *ingestTx) doneAt(t *threadTicket) int64 {
	if t.resolvedAt.Valid {
		return t.resolvedAt.Int64
	}
	return in.updatedAt(t)
}

// withinReopenWindow reports whether a message written at written reopens
// a ticket done at doneAt (unix ms). A message written before the
// resolution but fetched after it counts as within: nobody has read it.
func withinReopenWindow(written time.Time, doneAt int64) bool {
	return written.Sub(timeMS(doneAt)) <= anliegen.ReopenWindow
}

func (in *ingestTx) reopen(t *threadTicket) error {
	if _, err := in.st.exec(`UPDATE tickets SET status = 'open', resolved_at = NULL, version = version + 1,
		updated_at = max(updated_at, ?) WHERE id = ?`, unixMS(in.now), t.id); err != nil {
		return fmt.Errorf("reopen ticket: %w", err)
	}
	prev := t.status
	t.status, t.resolvedAt = anliegen.StatusOpen, sql.NullInt64{}
	in.touch(t, unixMS(in.now), 0)
	return in.event(anliegen.Event{Type: anliegen.EventTicketUpdated, TicketID: t.id, Department: t.department,
		Data: eventData(map[string]string{"status": string(anliegen.StatusOpen), "prev_status": string(prev), "reason": "reopened"})})
}

// routeDecision is recorded in ticket.created so staff see why a ticket
// landed where it did.
type routeDecision struct {
	Number   string `json:"number"`
	RuleID   int64  `json:"rule_id,omitempty"`
	RuleName string `json:"rule_name,omitempty"`
}

const insertTicketSQL = `INSERT INTO tickets(number, status, priority, department, tags, channel_id, platform,
	kind, contact_id, thread_key, subject, preview_id, first_id, created_at, updated_at, resolved_at, first_response_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// newTicket starts a ticket with m as its first message, routed by the
// rules.
func (in *ingestTx) newTicket(m *anliegen.Item, contactID int64) error {
	if in.router == nil {
		r, err := in.db.loadRouter(in.st.ctx, in.st.tx)
		if err != nil {
			return err
		}
		in.router = r
	}
	number, err := in.numbers.next()
	if err != nil {
		return err
	}
	prio, dept, tags := anliegen.PriorityNormal, "", []string(nil)
	dec := routeDecision{Number: number}
	if r := in.router.Match(anliegen.RuleInput{Text: m.Text, Subject: m.Subject, Platform: in.platform, ChannelID: in.channel}); r != nil {
		dept, tags, dec.RuleID, dec.RuleName = r.Department, r.Tags, r.ID, r.Name
		if r.Priority != "" {
			prio = r.Priority
		}
	}
	created := unixMS(m.CreatedAt)
	msgID, err := in.newMessageID()
	if err != nil {
		return err
	}
	key := threadKey(m)
	ticketID, err := in.newTicketID()
	if err != nil {
		return err
	}
	in.newTickets[ticketID] = &pendingTicket{id: ticketID, number: number, prio: string(prio), dept: dept,
		tags: jsonArray(tags), kind: string(m.Kind), contactID: contactID, threadKey: key, subject: m.Subject,
		previewID: msgID, created: created}
	in.ticketOrder = append(in.ticketOrder, ticketID)
	in.res.Tickets++
	t := in.holdTicket(&threadTicket{id: ticketID, status: anliegen.StatusNew, updatedAt: created, department: dept})
	if key != "" {
		in.threads[key] = t
	}
	if err := in.insertMessage(m, msgID, ticketID, anliegen.DirectionIn, contactID, dept); err != nil {
		return err
	}
	if err := in.event(anliegen.Event{Type: anliegen.EventTicketCreated, TicketID: ticketID, MessageID: msgID,
		Department: dept, Data: eventData(dec)}); err != nil {
		return err
	}
	return in.messageCreated(ticketID, msgID, dept, "")
}

// ticketNumbers hands out ticket numbers "A-<year>-<seq>" inside one
// transaction: the per-year counter in meta is read on first use and
// written back once at the end.
type ticketNumbers struct {
	st    *txStmts
	year  int
	key   string
	seq   int64
	read  bool
	dirty bool
}

func newTicketNumbers(st *txStmts, now time.Time) *ticketNumbers {
	y := now.UTC().Year()
	return &ticketNumbers{st: st, year: y, key: "ticket_seq_" + strconv.Itoa(y)}
}

func (n *ticketNumbers) next() (string, error) {
	if !n.read {
		var v string
		err := n.st.scan(`SELECT value FROM meta WHERE key = ?`, []any{n.key}, &v)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return "", fmt.Errorf("read ticket sequence: %w", err)
		}
		if v != "" {
			if n.seq, err = strconv.ParseInt(v, 10, 64); err != nil {
				return "", fmt.Errorf("ticket sequence %q: %w", v, err)
			}
		}
		n.read = true
	}
	n.seq++
	n.dirty = true
	return fmt.Sprintf("A-%d-%06d", n.year, n.seq), nil
}

func (n *ticketNumbers) save() error {
	if !n.dirty {
		return nil
	}
	_, err := n.st.exec(`INSERT INTO meta(key, value) VALUES (?, ?)
		ON CONFLICT(key) DO UPDATE SET value = excluded.value`, n.key, strconv.FormatInt(n.seq, 10))
	if err != nil {
		return fmt.Errorf("save ticket sequence: %w", err)
	}
	return nil
}
