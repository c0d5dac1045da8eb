package storage

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/anliegen/anliegen"
)

var _ anliegen.Ingester = (*DB)(nil)

// Lengths of the derived ticket fields.
const (
	previewRunes = 200
	subjectRunes = 80
)

// Ingest stores what a connector fetched from channel channelID: new
// messages, edits and deletes, contacts, tickets, routing, events, and the
// new cursor, all in one transaction (invariant 1). An invalid item is
// logged and left out (counted in Skipped), never fatal. It returns
// ENotFound for an unknown channel; on any other error nothing is stored
// and the cursor stays where it was.
func (db *DB) Ingest(ctx context.Context, channelID int64, items []anliegen.Item, cursor string) (anliegen.IngestResult, error) {
	var res anliegen.IngestResult
	err := db.write(ctx, func(tx *sql.Tx) error {
		in, err := db.newIngestTx(ctx, tx, channelID)
		if err != nil {
			return err
		}
		if err := in.prefetch(items); err != nil {
			return err
		}
		if err := in.prefetchThreads(items); err != nil {
			return err
		}
		if err := in.prefetchIdentities(items); err != nil {
			return err
		}
		for i := range items {
			if err := in.item(&items[i]); err != nil {
				return fmt.Errorf("item %q: %w", items[i].ExternalID, err)
			}
		}
		if err := in.finish(cursor); err != nil {
			return err
		}
		res = in.res
		return nil
	})
	if err != nil {
		return anliegen.IngestResult{}, fmt.Errorf("ingest channel %d: %w", channelID, err)
	}
	return res, nil
}

// ingestTx is the state of one Ingest transaction.
type ingestTx struct {
	db       *DB
	st       *txStmts
	now      time.Time
	channel  int64
	platform anliegen.Platform
	router   *anliegen.Router
	numbers  *ticketNumbers
	contacts map[string]int64     // author external id → contact, for this batch
	idents   map[string]*identity // author external id → stored identity (prefetchIdentities); nil: not stored
	touches  map[int64]*ticketTouch
	known    map[string]*storedMessage // by external id: the batch's messages already stored
	looked   map[string]bool           // external ids prefetch asked for: absent from known means not stored
	threads  map[string]*threadTicket  // thread key → newest ticket (nil: none), prefetched and kept current
	tickets  map[int64]*threadTicket   // every ticket the transaction read or created, by id
	nextMsg  int64                     // the last message id handed out; 0 until read
	// The batch's new rows, written by finish (ingest_rows.go).
	nextTicket                int64 // the last ticket id handed out; 0 until read
	newTickets                map[int64]*pendingTicket
	nextContact, nextIdentity int64
	newIdents                 []*identity
	ticketOrder               []int64
	newMessages               []pendingMessage
	events                    []anliegen.Event
	stored                    int
	res                       anliegen.IngestResult
}

func (db *DB) newIngestTx(ctx context.Context, tx *sql.Tx, channelID int64) (*ingestTx, error) {
	st := newTxStmts(ctx, tx)
	st.shared = db.bulk
	in := &ingestTx{db: db, st: st, now: db.now(), channel: channelID,
		idents: make(map[string]*identity), touches: make(map[int64]*ticketTouch),
		known: make(map[string]*storedMessage), looked: make(map[string]bool),
		threads: make(map[string]*threadTicket), tickets: make(map[int64]*threadTicket),
		newTickets: make(map[int64]*pendingTicket)}
	var platform string
	err := in.st.scan(`SELECT platform FROM channels WHERE id = ?`, []any{channelID}, &platform)
	if err != nil {
		return nil, dbError(err, "channel")
	}
	in.platform = anliegen.Platform(platform)
	in.numbers = newTicketNumbers(in.st, in.now)
	return in, nil
}

// ticketTouch is what the batch changed of a ticket's activity.
type ticketTouch struct {
	updatedAt int64 // updated_at after the batch's items so far
	previewID int64 // the new preview message; 0 when unchanged
}

// touch records activity at unix ms at on ticket t, with inboundID the
// citizen's message that caused it (0 for others). finish writes
// updated_at and the preview once per ticket, not once per message: a
// backfill page holds many messages of few conversations, and every write
// of updated_at moves entries in three indexes. The result is what one
// write per message would give: an inbound message becomes the preview
// when it is at least as new as everything before it.
func (in *ingestTx) touch(t *threadTicket, at int64, inboundID int64) {
	tt := in.touches[t.id]
	if tt == nil {
		tt = &ticketTouch{updatedAt: t.updatedAt}
		in.touches[t.id] = tt
	}
	if inboundID != 0 && at >= tt.updatedAt {
		tt.previewID = inboundID
	}
	tt.updatedAt = max(tt.updatedAt, at)
}

// updatedAt is t's updated_at with the batch's changes.
func (in *ingestTx) updatedAt(t *threadTicket) int64 {
	if tt := in.touches[t.id]; tt != nil {
		return tt.updatedAt
	}
	return t.updatedAt
}

func (in *ingestTx) flushTouches() error {
	ids := slices.Sorted(maps.Keys(in.touches))
	for _, id := range ids {
		t := in.touches[id]
		if _, err := in.st.exec(`UPDATE tickets SET preview_id = coalesce(?, preview_id), updated_at = max(updated_at, ?)
			WHERE id = ?`, nullID(t.previewID), t.updatedAt, id); err != nil {
			return fmt.Errorf("touch ticket: %w", err)
		}
	}
	return nil
}

// finish writes the ticket touches and saves the cursor, the channel's
// item counter and the ticket number sequence.
func (in *ingestTx) finish(cursor string) error {
	if err := in.flushRows(); err != nil {
		return err
	}
	if err := in.flushTouches(); err != nil {
		return err
	}
	if err := in.flushEvents(); err != nil {
		return err
	}
	if _, err := in.st.exec(`UPDATE channels SET cursor = ?, items_total = items_total + ? WHERE id = ?`,
		cursor, in.res.Created, in.channel); err != nil {
		return fmt.Errorf("save cursor: %w", err)
	}
	return in.numbers.save()
}

// storedMessage is what dedup needs of a message already stored.
type storedMessage struct {
	id, ticketID int64
	text, html   string
	editedAt     sql.NullInt64
	deleted      bool
	outbound     bool
	department   string
}

func (in *ingestTx) item(it *anliegen.Item) error {
	err := it.Validate()
	if err == nil {
		err = validKeys(it)
	}
	if err != nil {
		in.res.Skipped++
		in.db.logger.Warn("ingest: skipped invalid item", "channel_id", in.channel,
			"external_id", truncateUTF8(it.ExternalID, 200), "err", err)
		return nil
	}
	m := in.clean(it)
	if old := in.known[m.ExternalID]; old != nil {
		return in.update(&m, old)
	}
	if m.Deleted {
		// Deleted before we ever saw it: there is nothing to keep.
		in.res.Unchanged++
		return nil
	}
	if m.FromUs {
		return in.outbound(&m)
	}
	return in.inbound(&m)
}

// prefetchChunk is how many ids one dedup query asks for.
const prefetchChunk = 250

// prefetch reads the stored messages among the batch's external ids with
// one query per chunk rather than one per item; item keeps the map
// current as it stores and changes messages.
func (in *ingestTx) prefetch(items []anliegen.Item) error {
	ids := make([]any, 0, len(items))
	add := func(id string) {
		if id != "" && !in.looked[id] {
			in.looked[id] = true
			ids = append(ids, id)
		}
	}
	for i := range items {
		it := &items[i]
		add(it.ExternalID)
		// The candidates of ticketByParents, so that it needs no query.
		if it.Kind == anliegen.KindMail || it.FromUs {
			add(it.ParentID)
			for _, r := range it.References[max(0, len(it.References)-maxReferences):] {
				add(r)
			}
			add(it.ThreadID)
		}
	}
	return inChunks(ids, in.prefetchChunk)
}

// inChunks calls fn with consecutive chunks of at most prefetchChunk
// values, so that no IN (...) list exceeds SQLite's variable limit.
func inChunks(vals []any, fn func([]any) error) error {
	for len(vals) > 0 {
		n := min(len(vals), prefetchChunk)
		if err := fn(vals[:n]); err != nil {
			return err
		}
		vals = vals[n:]
	}
	return nil
}

func (in *ingestTx) prefetchChunk(ids []any) error {
	st, err := in.st.get(`SELECT m.external_id, m.id, m.ticket_id, m.text, m.html, m.edited_at, m.deleted,
		m.direction = 'out', t.department
		FROM messages m JOIN tickets t ON t.id = m.ticket_id
		WHERE m.channel_id = ? AND m.external_id IN (` + placeholders(len(ids)) + `)
		AND m.external_id <> ''`)
	if err != nil {
		return err
	}
	rows, err := st.QueryContext(in.st.ctx, append([]any{in.channel}, ids...)...)
	if err != nil {
		return fmt.Errorf("look up messages: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var ext string
		old := &storedMessage{}
		if err := rows.Scan(&ext, &old.id, &old.ticketID, &old.text, &old.html, &old.editedAt, &old.deleted,
			&old.outbound, &old.department); err != nil {
			return fmt.Errorf("look up messages: %w", err)
		}
		in.known[ext] = old
	}
	return rows.Err()
}

// validKeys rejects items whose platform ids could not serve as keys:
// ids are compared byte for byte (dedup, threading, identities), so they
// are stored as they are, never cleaned, and one that holds invalid UTF-8
// or control characters, or is longer than 1 KiB, is no id a platform
// sends.
func validKeys(it *anliegen.Item) error {
	switch {
	case len(it.ExternalID) > maxShortBytes || !isClean(it.ExternalID) || strings.ContainsAny(it.ExternalID, "\n\r\t"):
		return anliegen.Invalid("external_id", "is not a platform id")
	case !it.FromUs && (len(it.Author.ExternalID) > maxShortBytes || !isClean(it.Author.ExternalID)):
		return anliegen.Invalid("author.external_id", "is not a platform id")
	case len(it.ThreadID) > maxShortBytes || len(it.ParentID) > maxShortBytes:
		return anliegen.Invalid("thread_id", "is longer than %d bytes", maxShortBytes)
	}
	return nil
}

// clean returns a copy of it with every text field sanitized (invariant 6);
// ids stay as they are (validKeys).
func (in *ingestTx) clean(it *anliegen.Item) anliegen.Item {
	s := in.db.sanitizer
	m := *it
	m.Author.Handle, m.Author.Name = s.Short(m.Author.Handle), s.Short(m.Author.Name)
	m.Subject, m.URL, m.Lang = s.Short(m.Subject), s.Short(m.URL), s.Short(m.Lang)
	m.Text, m.HTML = s.Text(m.Text), s.HTML(m.HTML)
	if len(m.References) > maxReferences {
		m.References = m.References[len(m.References)-maxReferences:]
	}
	m.CreatedAt = m.CreatedAt.UTC()
	return m
}

// maxReferences keeps the newest mail References; a longer chain adds
// nothing to threading but weight to the row.
const maxReferences = 50

// update applies an edit or delete of a stored message; a repeat of what
// is stored changes nothing.
func (in *ingestTx) update(m *anliegen.Item, old *storedMessage) error {
	var data map[string]bool
	switch {
	case old.deleted:
		// Deleted stays deleted: a stale copy from a later page must not
		// bring the message back.
	case m.Deleted:
		if err := in.flushRows(); err != nil { // old may be pending
			return err
		}
		if _, err := in.st.exec(`UPDATE messages SET deleted = 1 WHERE id = ?`, old.id); err != nil {
			return fmt.Errorf("mark deleted: %w", err)
		}
		old.deleted = true
		data = map[string]bool{"deleted": true}
	case old.outbound:
		// Our reply as the platform renders it (mentions added, markup
		// flattened) is no edit: staff keep seeing what they wrote.
	case staleCopy(m.EditedAt, old.editedAt):
		// An older edition of what we have, e.g. from an overlapping page.
	case m.Text != old.text || m.HTML != old.html:
		if err := in.flushRows(); err != nil { // old may be pending
			return err
		}
		if _, err := in.st.exec(`UPDATE messages SET text = ?, html = ?, edited = 1, edited_at = ? WHERE id = ?`,
			m.Text, m.HTML, nullMS(m.EditedAt), old.id); err != nil {
			return fmt.Errorf("apply edit: %w", err)
		}
		// A ticket's preview_id follows the edit by itself; a ticket from
		// before migration 0004 holds a copy of the text.
		if _, err := in.st.exec(`UPDATE tickets SET preview = ? WHERE id = ? AND preview = ? AND preview_id IS NULL`,
			snippet(m.Text, previewRunes), old.ticketID, snippet(old.text, previewRunes)); err != nil {
			return fmt.Errorf("update preview: %w", err)
		}
		old.text, old.html = m.Text, m.HTML
		old.editedAt = sql.NullInt64{}
		if m.EditedAt != nil {
			old.editedAt = sql.NullInt64{Int64: unixMS(*m.EditedAt), Valid: true}
		}
		data = map[string]bool{"edited": true}
	}
	if data == nil {
		in.res.Unchanged++
		return nil
	}
	in.res.Updated++
	return in.event(anliegen.Event{Type: anliegen.EventMessageUpdated, TicketID: old.ticketID,
		MessageID: old.id, Department: old.department, Data: eventData(data)})
}

// staleCopy reports whether an item edited at t is older than the stored
// edition, edited at stored: platforms that report edit times report them
// on every edition after the first, so a copy without one, or with an
// earlier one, predates what is stored. Without edit times every changed
// text counts as an edit.
func staleCopy(t *time.Time, stored sql.NullInt64) bool {
	return stored.Valid && (t == nil || unixMS(*t) <= stored.Int64)
}

// event adds e to the batch's pending events.
func (in *ingestTx) event(e anliegen.Event) error {
	e.ChannelID = in.channel
	if e.CreatedAt.IsZero() {
		e.CreatedAt = in.now
	}
	in.events = append(in.events, e)
	return nil
}

// inbound stores a citizen's new message on its thread's ticket, reopening
// or starting one as the threading rules say (thread.go).
func (in *ingestTx) inbound(m *anliegen.Item) error {
	contactID, err := in.contact(m.Author)
	if err != nil {
		return err
	}
	t, err := in.findTicket(m)
	if err != nil {
		return err
	}
	if t != nil && t.status.Done() {
		if !withinReopenWindow(m.CreatedAt, in.doneAt(t)) {
			t = nil
		} else if err := in.reopen(t); err != nil {
			return err
		}
	}
	if t == nil {
		return in.newTicket(m, contactID)
	}
	msgID, err := in.newMessageID()
	if err != nil {
		return err
	}
	if err := in.insertMessage(m, msgID, t.id, anliegen.DirectionIn, contactID, t.department); err != nil {
		return err
	}
	in.touch(t, unixMS(m.CreatedAt), msgID)
	return in.messageCreated(t.id, msgID, t.department, "")
}

// outbound stores the town's own message seen in the feed on the ticket it
// belongs to; with no such ticket it is left out.
func (in *ingestTx) outbound(m *anliegen.Item) error {
	t, err := in.findTicket(m)
	if err != nil {
		return err
	}
	if t == nil {
		in.res.Unchanged++
		in.db.logger.Debug("ingest: own message without ticket left out", "channel_id", in.channel, "external_id", m.ExternalID)
		return nil
	}
	msgID, err := in.newMessageID()
	if err != nil {
		return err
	}
	if err := in.insertMessage(m, msgID, t.id, anliegen.DirectionOut, 0, t.department); err != nil {
		return err
	}
	if err := in.firstResponse(t.id, unixMS(m.CreatedAt)); err != nil {
		return err
	}
	in.touch(t, unixMS(m.CreatedAt), 0)
	return in.messageCreated(t.id, msgID, t.department, anliegen.DirectionOut)
}

func (in *ingestTx) messageCreated(ticketID, msgID int64, dept string, dir anliegen.Direction) error {
	in.res.Created++
	in.stored++
	if in.db.failAfter != nil {
		if err := in.db.failAfter(in.stored); err != nil {
			return err
		}
	}
	e := anliegen.Event{Type: anliegen.EventMessageCreated, TicketID: ticketID, MessageID: msgID, Department: dept}
	if dir != "" {
		e.Data = eventData(map[string]anliegen.Direction{"direction": dir})
	}
	return in.event(e)
}

const insertMessageSQL = `INSERT INTO messages(id, ticket_id, channel_id, direction, external_id, parent_id,
	author, contact_id, subject, text, html, url, attachments, refs, lang, edited, edited_at, auto_reply,
	created_at, delivery_state, sent_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// newMessageID hands out the id of the next message: the transaction
// holds the write lock, so the ids after the highest stored one are free,
// and a ticket can name its first message (preview_id) before that is
// inserted. SQLite itself picks max(id)+1 for a table without
// AUTOINCREMENT, so ids are what they would be without this.
func (in *ingestTx) newMessageID() (int64, error) { return nextMessageID(in.st, &in.nextMsg) }

// nextMessageID advances *last, the last message id handed out in the
// transaction of st (0 until read), and returns it.
func nextMessageID(st *txStmts, last *int64) (int64, error) {
	return nextID(st, `SELECT coalesce(max(id), 0) FROM messages`, last)
}

// nextID advances *last, the last id of a table handed out in the
// transaction of st, reading the highest stored one with maxQuery first.
func nextID(st *txStmts, maxQuery string, last *int64) (int64, error) {
	if *last == 0 {
		if err := st.scan(maxQuery, nil, last); err != nil {
			return 0, fmt.Errorf("last id: %w", err)
		}
	}
	*last++
	return *last, nil
}

// insertMessage adds a new message to the batch's pending rows.
func (in *ingestTx) insertMessage(m *anliegen.Item, id, ticketID int64, dir anliegen.Direction, contactID int64, dept string) error {
	var state, sentAt any
	if dir == anliegen.DirectionOut {
		state, sentAt = string(anliegen.DeliverySent), unixMS(m.CreatedAt)
	}
	in.newMessages = append(in.newMessages, pendingMessage{id, ticketID, in.channel, string(dir), m.ExternalID, m.ParentID,
		authorName(m.Author), nullID(contactID), m.Subject, m.Text, m.HTML, m.URL,
		nullJSON(m.Attachments), nullJSON(m.References), m.Lang, boolInt(m.EditedAt != nil), nullMS(m.EditedAt),
		boolInt(m.AutoReply), unixMS(m.CreatedAt), state, sentAt})
	stored := &storedMessage{id: id, ticketID: ticketID, text: m.Text, html: m.HTML,
		outbound: dir == anliegen.DirectionOut, department: dept}
	if m.EditedAt != nil {
		stored.editedAt = sql.NullInt64{Int64: unixMS(*m.EditedAt), Valid: true}
	}
	in.known[m.ExternalID] = stored
	return nil
}

// authorName is how a message shows its author: the display name, else the
// handle, else the platform id.
func authorName(a anliegen.Author) string {
	switch {
	case a.Name != "":
		return a.Name
	case a.Handle != "":
		return a.Handle
	}
	return truncateUTF8(a.ExternalID, maxShortBytes)
}

// contact returns the contact of the author's identity on the channel's
// platform, creating both on first sight and refreshing handle and name
// when they changed, as each message of the author would one by one.
func (in *ingestTx) contact(a anliegen.Author) (int64, error) {
	old, looked := in.idents[a.ExternalID]
	if old != nil {
		return refreshIdentity(in.st, old, a)
	}
	var (
		i   *identity
		err error
	)
	if looked {
		i, err = in.newIdentity(a) // prefetched: not stored
	} else {
		i, err = upsertIdentity(in.st, in.platform, a, in.now)
	}
	if err != nil {
		return 0, err
	}
	in.idents[a.ExternalID] = i
	return i.contactID, nil
}

// identity is a stored platform identity, or one of the batch's pending
// rows (ingest_rows.go).
type identity struct {
	id, contactID int64
	handle, name  string
	pending       bool
	externalID    string // of a pending one
	contactName   string // of a pending one's contact
}

// prefetchIdentities reads the stored identities of the batch's authors
// in one query per chunk; an author it does not find is new.
func (in *ingestTx) prefetchIdentities(items []anliegen.Item) error {
	ids := make([]any, 0, len(items))
	for i := range items {
		if a := items[i].Author.ExternalID; !items[i].FromUs && a != "" {
			if _, ok := in.idents[a]; !ok {
				in.idents[a] = nil // not stored, unless the query finds it
				ids = append(ids, a)
			}
		}
	}
	return inChunks(ids, in.prefetchIdentityChunk)
}

func (in *ingestTx) prefetchIdentityChunk(ids []any) error {
	st, err := in.st.get(`SELECT external_id, id, contact_id, handle, name FROM identities
		WHERE platform = ? AND external_id IN (` + placeholders(len(ids)) + `)`)
	if err != nil {
		return err
	}
	rows, err := st.QueryContext(in.st.ctx, append([]any{string(in.platform)}, ids...)...)
	if err != nil {
		return fmt.Errorf("look up identities: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			ext string
			i   identity
		)
		if err := rows.Scan(&ext, &i.id, &i.contactID, &i.handle, &i.name); err != nil {
			return fmt.Errorf("look up identities: %w", err)
		}
		in.idents[ext] = &i
	}
	return rows.Err()
}

// refreshIdentity stores a's handle and name on the stored identity old
// when they changed, keeps old current, and returns its contact.
func refreshIdentity(st *txStmts, old *identity, a anliegen.Author) (int64, error) {
	if (a.Handle == "" || a.Handle == old.handle) && (a.Name == "" || a.Name == old.name) {
		return old.contactID, nil
	}
	if !old.pending { // a pending row is written with what old holds then
		if _, err := st.exec(`UPDATE identities SET handle = coalesce(nullif(?, ''), handle),
			name = coalesce(nullif(?, ''), name) WHERE id = ?`, a.Handle, a.Name, old.id); err != nil {
			return 0, fmt.Errorf("update identity: %w", err)
		}
	}
	old.handle, old.name = cmp.Or(a.Handle, old.handle), cmp.Or(a.Name, old.name)
	return old.contactID, nil
}

// upsertIdentity returns the identity of (platform, a.ExternalID),
// refreshed from a. One contact per identity for now: merging contacts
// across platforms is a staff decision that comes later.
func upsertIdentity(st *txStmts, platform anliegen.Platform, a anliegen.Author, now time.Time) (*identity, error) {
	i := &identity{}
	err := st.scan(`SELECT id, contact_id, handle, name FROM identities WHERE platform = ? AND external_id = ?`,
		[]any{string(platform), a.ExternalID}, &i.id, &i.contactID, &i.handle, &i.name)
	switch {
	case err == nil:
		_, err := refreshIdentity(st, i, a)
		return i, err
	case !errors.Is(err, sql.ErrNoRows):
		return nil, fmt.Errorf("look up identity: %w", err)
	}
	return insertIdentity(st, platform, a, now)
}

// insertIdentity stores a new identity of (platform, a.ExternalID) and its
// contact.
func insertIdentity(st *txStmts, platform anliegen.Platform, a anliegen.Author, now time.Time) (*identity, error) {
	i := &identity{}
	var err error
	if i.contactID, err = st.insert(`INSERT INTO contacts(name, created_at) VALUES (?, ?)`, authorName(a), unixMS(now)); err != nil {
		return nil, fmt.Errorf("insert contact: %w", err)
	}
	if i.id, err = st.insert(`INSERT INTO identities(contact_id, platform, external_id, handle, name, created_at)
		VALUES (?, ?, ?, ?, ?, ?)`, i.contactID, string(platform), a.ExternalID, a.Handle, a.Name, unixMS(now)); err != nil {
		return nil, fmt.Errorf("insert identity: %w", err)
	}
	i.handle, i.name = a.Handle, a.Name
	return i, nil
}
