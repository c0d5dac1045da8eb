package storage

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/anliegen/anliegen"
)

// Contact returns a contact with its identities and all its tickets, newest
// first. The caller filters the tickets by the viewer's scope. ENotFound.
func (db *DB) Contact(ctx context.Context, id int64) (anliegen.Contact, []anliegen.Ticket, error) {
	tx, err := db.read().BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return anliegen.Contact{}, nil, fmt.Errorf("contact: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only
	c, err := getContact(ctx, tx, id)
	if err != nil {
		return c, nil, err
	}
	rows, err := tx.QueryContext(ctx, ticketSelect+` WHERE t.contact_id = ? ORDER BY t.created_at DESC, t.id DESC`, id)
	if err != nil {
		return c, nil, fmt.Errorf("contact tickets: %w", err)
	}
	defer rows.Close()
	tickets := []anliegen.Ticket{}
	for rows.Next() {
		t, err := scanTicket(rows)
		if err != nil {
			return c, nil, fmt.Errorf("scan ticket: %w", err)
		}
		tickets = append(tickets, t)
	}
	if err := rows.Err(); err != nil {
		return c, nil, fmt.Errorf("contact tickets: %w", err)
	}
	return c, tickets, nil
}

// getContact reads a contact and its identities; ENotFound.
func getContact(ctx context.Context, q rowQueryer, id int64) (anliegen.Contact, error) {
	var (
		c       anliegen.Contact
		created int64
	)
	err := q.QueryRowContext(ctx, `SELECT id, name, created_at FROM contacts WHERE id = ?`, id).Scan(&c.ID, &c.Name, &created)
	if err != nil {
		return c, dbError(err, "contact")
	}
	c.CreatedAt = timeMS(created)
	rows, err := q.QueryContext(ctx, `SELECT id, contact_id, platform, external_id, handle, name
		FROM identities WHERE contact_id = ? ORDER BY id`, id)
	if err != nil {
		return c, fmt.Errorf("contact identities: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			i        anliegen.Identity
			platform string
		)
		if err := rows.Scan(&i.ID, &i.ContactID, &platform, &i.ExternalID, &i.Handle, &i.Name); err != nil {
			return c, fmt.Errorf("scan identity: %w", err)
		}
		i.Platform = anliegen.Platform(platform)
		c.Identities = append(c.Identities, i)
	}
	if err := rows.Err(); err != nil {
		return c, fmt.Errorf("contact identities: %w", err)
	}
	return c, nil
}
