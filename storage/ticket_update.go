package storage

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/anliegen/anliegen"
)

// maxStaffLen bounds a note or reply, in bytes. It guards the database,
// not the platforms: the server checks a reply against the platform's own
// maximum.
const maxStaffLen = 100_000

// change is one field's old and new value in a ticket.updated event.
type change struct {
	From any `json:"from"`
	To   any `json:"to"`
}

func validateUpdate(u *anliegen.TicketUpdate) error {
	switch {
	case u.Status != nil && !u.Status.Valid():
		return anliegen.Invalid("status", "unknown status %q", *u.Status)
	case u.Priority != nil && !u.Priority.Valid():
		return anliegen.Invalid("priority", "unknown priority %q", *u.Priority)
	case u.AssigneeID != nil && *u.AssigneeID < 0:
		return anliegen.Invalid("assignee_id", "unknown user")
	case len(u.Note) > maxStaffLen:
		return anliegen.Invalid("note", "must be at most %d bytes", maxStaffLen)
	}
	if u.Tags != nil {
		tags, err := normalizeTags(*u.Tags)
		if err != nil {
			return err
		}
		u.Tags = &tags
	}
	return nil
}

// UpdateTicket applies u as actorID and returns the ticket after it. All
// changed fields go into one ticket.updated event whose data is
// {"changes": {"field": {"from": .., "to": ..}}}; a routing change fills
// the event's department and prev_department. A note is stored as a note
// message with its own message.created event. Resolving sets resolved_at,
// reopening clears it. ENotFound; EInvalid (status, priority, department,
// assignee_id, tags, note); EConflict when u.Version is stale.
func (db *DB) UpdateTicket(ctx context.Context, id, actorID int64, u anliegen.TicketUpdate) (anliegen.Ticket, error) {
	if err := validateUpdate(&u); err != nil {
		return anliegen.Ticket{}, err
	}
	var out anliegen.Ticket
	err := db.write(ctx, func(tx *sql.Tx) error {
		t, err := getTicket(ctx, tx, id)
		if err != nil {
			return err
		}
		if u.Version != 0 && u.Version != t.Version {
			return &anliegen.Error{Code: anliegen.EConflict, Field: "version",
				Message: "the ticket was changed meanwhile; reload it"}
		}
		now := db.now()
		changes, err := ticketChanges(ctx, tx, &t, u)
		if err != nil {
			return err
		}
		if len(changes) > 0 {
			if err := db.applyChanges(ctx, tx, t, changes, actorID, now); err != nil {
				return err
			}
		}
		if strings.TrimSpace(u.Note) != "" {
			if _, err := db.addStaffMessage(ctx, tx, id, actorID, anliegen.DirectionNote, u.Note, now); err != nil {
				return err
			}
		}
		out, err = getTicket(ctx, tx, id)
		return err
	})
	return out, err
}

// ticketChanges compares u with t, checks the department and assignee it
// names, and returns what changes; t is updated to the new values.
func ticketChanges(ctx context.Context, tx *sql.Tx, t *anliegen.Ticket, u anliegen.TicketUpdate) (map[string]change, error) {
	changes := map[string]change{}
	if u.Status != nil && *u.Status != t.Status {
		changes["status"] = change{t.Status, *u.Status}
		t.Status = *u.Status
	}
	if u.Priority != nil && *u.Priority != t.Priority {
		changes["priority"] = change{t.Priority, *u.Priority}
		t.Priority = *u.Priority
	}
	if u.Department != nil && *u.Department != t.Department {
		if *u.Department != "" {
			if err := checkDepartments(ctx, tx, "department", *u.Department); err != nil {
				return nil, err
			}
		}
		changes["department"] = change{t.Department, *u.Department}
		t.Department = *u.Department
	}
	if u.AssigneeID != nil && *u.AssigneeID != t.AssigneeID {
		login := ""
		if *u.AssigneeID != 0 {
			var disabled bool
			err := tx.QueryRowContext(ctx, `SELECT login, disabled FROM users WHERE id = ?`, *u.AssigneeID).Scan(&login, &disabled)
			if err != nil || disabled {
				if err != nil && anliegen.ErrorCode(dbError(err, "user")) != anliegen.ENotFound {
					return nil, fmt.Errorf("check assignee: %w", err)
				}
				return nil, anliegen.Invalid("assignee_id", "unknown or disabled user")
			}
		}
		changes["assignee_id"] = change{t.AssigneeID, *u.AssigneeID}
		changes["assignee"] = change{t.Assignee, login}
		t.AssigneeID, t.Assignee = *u.AssigneeID, login
	}
	if u.Tags != nil && !slices.Equal(*u.Tags, t.Tags) {
		changes["tags"] = change{t.Tags, *u.Tags}
		t.Tags = *u.Tags
	}
	return changes, nil
}

// applyChanges writes t (already changed) and its ticket.updated event.
func (db *DB) applyChanges(ctx context.Context, tx *sql.Tx, t anliegen.Ticket, changes map[string]change, actorID int64, now time.Time) error {
	resolved := nullMS(t.ResolvedAt)
	if c, ok := changes["status"]; ok {
		switch {
		case !t.Status.Done():
			resolved = nil
		case t.Status == anliegen.StatusResolved || c.From.(anliegen.Status) != anliegen.StatusResolved:
			resolved = unixMS(now)
		}
	}
	_, err := tx.ExecContext(ctx, `UPDATE tickets SET status = ?, priority = ?, department = ?, assignee_id = ?,
		tags = ?, resolved_at = ?, updated_at = ?, version = version + 1 WHERE id = ?`,
		string(t.Status), string(t.Priority), t.Department, nullID(t.AssigneeID), jsonArray(t.Tags),
		resolved, unixMS(now), t.ID)
	if err != nil {
		return dbError(err, "ticket")
	}
	return db.ticketUpdatedEvent(ctx, tx, t, changes, actorID, now, nil)
}

// ticketUpdatedEvent appends a ticket.updated event; extra adds keys to its
// data beside "changes".
func (db *DB) ticketUpdatedEvent(ctx context.Context, tx *sql.Tx, t anliegen.Ticket, changes map[string]change,
	actorID int64, now time.Time, extra map[string]any) error {
	e := anliegen.Event{Type: anliegen.EventTicketUpdated, TicketID: t.ID, ChannelID: t.ChannelID,
		Department: t.Department, ActorID: actorID, CreatedAt: now}
	if c, ok := changes["department"]; ok {
		e.PrevDepartment = c.From.(string)
	}
	data := map[string]any{"changes": changes}
	for k, v := range extra {
		data[k] = v
	}
	e.Data = eventData(data)
	_, err := db.appendEvent(ctx, tx, e)
	return err
}

// AddNote stores an internal note by actorID. ENotFound, EInvalid (text).
func (db *DB) AddNote(ctx context.Context, ticketID, actorID int64, text string) (anliegen.Message, error) {
	var m anliegen.Message
	err := db.write(ctx, func(tx *sql.Tx) error {
		var err error
		m, err = db.addStaffMessage(ctx, tx, ticketID, actorID, anliegen.DirectionNote, text, db.now())
		return err
	})
	return m, err
}

// CreateReply stores a reply by actorID as a pending outbound message due
// now, for the sender to deliver (invariant 4). The ticket's status stays,
// except that a new ticket becomes open: someone is working on it.
// ENotFound; EInvalid (text empty or too long, ticket merged away or
// imported).
func (db *DB) CreateReply(ctx context.Context, ticketID, actorID int64, text string) (anliegen.Message, error) {
	var m anliegen.Message
	err := db.write(ctx, func(tx *sql.Tx) error {
		now := db.now()
		var err error
		if m, err = db.addStaffMessage(ctx, tx, ticketID, actorID, anliegen.DirectionOut, text, now); err != nil {
			return err
		}
		t, err := getTicket(ctx, tx, ticketID)
		if err != nil || t.Status != anliegen.StatusNew {
			return err
		}
		open := anliegen.StatusOpen
		changes, err := ticketChanges(ctx, tx, &t, anliegen.TicketUpdate{Status: &open})
		if err != nil {
			return err
		}
		return db.applyChanges(ctx, tx, t, changes, actorID, now)
	})
	return m, err
}

// addStaffMessage stores a note or an outbound reply written by actorID,
// touches the ticket's updated_at and appends message.created.
func (db *DB) addStaffMessage(ctx context.Context, tx *sql.Tx, ticketID, actorID int64,
	dir anliegen.Direction, text string, now time.Time) (anliegen.Message, error) {
	text = strings.TrimSpace(text)
	switch {
	case text == "":
		return anliegen.Message{}, anliegen.Invalid("text", "must not be empty")
	case len(text) > maxStaffLen:
		return anliegen.Message{}, anliegen.Invalid("text", "must be at most %d bytes", maxStaffLen)
	}
	t, err := getTicket(ctx, tx, ticketID)
	if err != nil {
		return anliegen.Message{}, err
	}
	if dir == anliegen.DirectionOut {
		if t.MergedInto != 0 {
			return anliegen.Message{}, anliegen.Invalid("ticket_id", "the ticket was merged into %d; reply there", t.MergedInto)
		}
		// Imported history sits in hidden channels that no connector
		// serves: a reply there would wait in the queue for ever.
		var hidden bool
		if err := tx.QueryRowContext(ctx, `SELECT hidden FROM channels WHERE id = ?`, t.ChannelID).Scan(&hidden); err != nil {
			return anliegen.Message{}, dbError(err, "channel")
		}
		if hidden {
			return anliegen.Message{}, anliegen.Invalid("ticket_id", "imported tickets cannot be answered from Anliegen")
		}
	}
	var author string
	if actorID != 0 {
		if err := tx.QueryRowContext(ctx, `SELECT name FROM users WHERE id = ?`, actorID).Scan(&author); err != nil {
			return anliegen.Message{}, dbError(err, "user")
		}
	}
	var state, nextTry, parent any = nil, nil, ""
	if dir == anliegen.DirectionOut {
		state, nextTry = string(anliegen.DeliveryPending), unixMS(now)
		// The reply answers the citizen's latest message; the sender
		// threads it there (In-Reply-To, in_reply_to_id).
		err := tx.QueryRowContext(ctx, `SELECT external_id FROM messages WHERE ticket_id = ? AND direction = 'in'
			AND NOT deleted ORDER BY created_at DESC, id DESC LIMIT 1`, ticketID).Scan(&parent)
		if err != nil && err != sql.ErrNoRows {
			return anliegen.Message{}, fmt.Errorf("reply parent: %w", err)
		}
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO messages(ticket_id, channel_id, direction, parent_id, author, author_id,
		text, created_at, delivery_state, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		ticketID, t.ChannelID, string(dir), parent, author, nullID(actorID), text, unixMS(now), state, nextTry)
	if err != nil {
		return anliegen.Message{}, dbError(err, "message")
	}
	id, err := res.LastInsertId()
	if err != nil {
		return anliegen.Message{}, fmt.Errorf("insert message: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE tickets SET updated_at = max(updated_at, ?) WHERE id = ?`, unixMS(now), ticketID); err != nil {
		return anliegen.Message{}, fmt.Errorf("touch ticket: %w", err)
	}
	_, err = db.appendEvent(ctx, tx, anliegen.Event{Type: anliegen.EventMessageCreated, TicketID: ticketID,
		MessageID: id, ChannelID: t.ChannelID, Department: t.Department, ActorID: actorID, CreatedAt: now,
		Data: eventData(map[string]any{"direction": dir})})
	if err != nil {
		return anliegen.Message{}, err
	}
	return getMessage(ctx, tx, id)
}

// RetryReply sets a failed reply pending again, due now. Attempts stay, so
// the connector still reads back before sending again. ENotFound;
// EConflict when the message is not a failed reply.
func (db *DB) RetryReply(ctx context.Context, messageID, actorID int64) (anliegen.Message, error) {
	var m anliegen.Message
	err := db.write(ctx, func(tx *sql.Tx) error {
		old, err := getMessage(ctx, tx, messageID)
		if err != nil {
			return err
		}
		if old.Direction != anliegen.DirectionOut || old.DeliveryState != anliegen.DeliveryFailed {
			return anliegen.Errorf(anliegen.EConflict, "only a failed reply can be retried")
		}
		now := db.now()
		if _, err := tx.ExecContext(ctx, `UPDATE messages SET delivery_state = 'pending', error = '', next_attempt_at = ?
			WHERE id = ?`, unixMS(now), messageID); err != nil {
			return fmt.Errorf("retry reply: %w", err)
		}
		var dept string
		if err := tx.QueryRowContext(ctx, `SELECT department FROM tickets WHERE id = ?`, old.TicketID).Scan(&dept); err != nil {
			return dbError(err, "ticket")
		}
		_, err = db.appendEvent(ctx, tx, anliegen.Event{Type: anliegen.EventMessageUpdated, TicketID: old.TicketID,
			MessageID: messageID, ChannelID: old.ChannelID, Department: dept, ActorID: actorID, CreatedAt: now,
			Data: eventData(map[string]any{"changes": map[string]change{
				"delivery_state": {anliegen.DeliveryFailed, anliegen.DeliveryPending}}})})
		if err != nil {
			return err
		}
		m, err = getMessage(ctx, tx, messageID)
		return err
	})
	return m, err
}
