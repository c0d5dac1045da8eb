package storage

import (
	"context"
	"database/sql"
	"fmt"
	"slices"

	"github.com/anliegen/anliegen"
)

// MergeTickets moves every message of ticket from into ticket into, closes
// from with merged_into set, and returns into. Both tickets get a
// ticket.updated event, so the hub and the search index see both change.
// Tickets of different kinds (a DM and a public comment) are not merged:
// a reply in the merged ticket would go out publicly or privately against
// what the citizen chose. ENotFound; EInvalid (into: same ticket, other
// kind, already merged; from: already merged).
func (db *DB) MergeTickets(ctx context.Context, from, into, actorID int64) (anliegen.Ticket, error) {
	if from == into {
		return anliegen.Ticket{}, anliegen.Invalid("into", "a ticket cannot be merged into itself")
	}
	var out anliegen.Ticket
	err := db.write(ctx, func(tx *sql.Tx) error {
		src, err := getTicket(ctx, tx, from)
		if err != nil {
			return err
		}
		dst, err := getTicket(ctx, tx, into)
		if err != nil {
			return err
		}
		switch {
		case src.MergedInto != 0:
			return anliegen.Invalid("from", "the ticket was already merged into %d", src.MergedInto)
		case dst.MergedInto != 0:
			return anliegen.Invalid("into", "the ticket was merged into %d; merge into that one", dst.MergedInto)
		case src.Kind != dst.Kind:
			return anliegen.Invalid("into", "a %s ticket cannot be merged into a %s ticket", src.Kind, dst.Kind)
		}
		if err := db.mergeRows(ctx, tx, src, dst, actorID); err != nil {
			return err
		}
		out, err = getTicket(ctx, tx, into)
		return err
	})
	return out, err
}

func (db *DB) mergeRows(ctx context.Context, tx *sql.Tx, src, dst anliegen.Ticket, actorID int64) error {
	now := db.now()
	if _, err := tx.ExecContext(ctx, `UPDATE messages SET ticket_id = ? WHERE ticket_id = ?`, dst.ID, src.ID); err != nil {
		return fmt.Errorf("move messages: %w", err)
	}
	srcChanges := map[string]change{"merged_into": {int64(0), dst.ID}}
	if src.Status != anliegen.StatusClosed {
		srcChanges["status"] = change{src.Status, anliegen.StatusClosed}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE tickets SET status = 'closed', merged_into = ?,
		resolved_at = coalesce(resolved_at, ?), updated_at = ?, version = version + 1 WHERE id = ?`,
		dst.ID, unixMS(now), unixMS(now), src.ID); err != nil {
		return fmt.Errorf("close merged ticket: %w", err)
	}
	src.Status = anliegen.StatusClosed
	if err := db.ticketUpdatedEvent(ctx, tx, src, srcChanges, actorID, now, nil); err != nil {
		return err
	}

	// The target keeps its own fields, takes the union of tags, the
	// earlier first response and, when the source saw the latest activity,
	// its preview.
	dstChanges := map[string]change{}
	tags, _ := normalizeTags(append(slices.Clone(dst.Tags), src.Tags...))
	if !slices.Equal(tags, dst.Tags) {
		dstChanges["tags"] = change{dst.Tags, tags}
	}
	// The preview moves as the stored reference (preview_id, migration
	// 0004) or, for a ticket from before it, as the stored text.
	var preview string
	var previewID sql.NullInt64
	srcNewer := src.UpdatedAt.After(dst.UpdatedAt) && src.Preview != ""
	from := dst.ID
	if srcNewer {
		from = src.ID
	}
	if err := tx.QueryRowContext(ctx, `SELECT preview, preview_id FROM tickets WHERE id = ?`, from).Scan(&preview, &previewID); err != nil {
		return fmt.Errorf("read preview: %w", err)
	}
	first := dst.FirstResponseAt
	if src.FirstResponseAt != nil && (first == nil || src.FirstResponseAt.Before(*first)) {
		first = src.FirstResponseAt
	}
	if _, err := tx.ExecContext(ctx, `UPDATE tickets SET tags = ?, preview = ?, preview_id = ?, first_response_at = ?,
		updated_at = ?, version = version + 1 WHERE id = ?`,
		jsonArray(tags), preview, previewID, nullMS(first), unixMS(now), dst.ID); err != nil {
		return fmt.Errorf("update merge target: %w", err)
	}
	return db.ticketUpdatedEvent(ctx, tx, dst, dstChanges, actorID, now, map[string]any{"merged_from": src.ID})
}
