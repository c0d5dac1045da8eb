package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/anliegen/anliegen"
)

var _ anliegen.ChannelService = (*DB)(nil)

const channelColumns = `id, platform, name, account, settings, secret, enabled, poll_interval_ms, cursor,
	backfill_since, state, last_poll_at, last_success_at, last_error, consecutive_failures, next_poll_at,
	items_total, created_at`

func scanChannel(sc interface{ Scan(...any) error }) (anliegen.Channel, error) {
	var (
		ch                                anliegen.Channel
		platform, settings, state         string
		interval, created                 int64
		backfill, lastPoll, lastOK, nextP sql.NullInt64
	)
	err := sc.Scan(&ch.ID, &platform, &ch.Name, &ch.Account, &settings, &ch.Secret, &ch.Enabled, &interval,
		&ch.Cursor, &backfill, &state, &lastPoll, &lastOK, &ch.Health.LastError, &ch.Health.ConsecutiveFailures,
		&nextP, &ch.Health.ItemsTotal, &created)
	ch.Platform = anliegen.Platform(platform)
	if settings != "" && settings != "{}" {
		ch.Settings = json.RawMessage(settings)
	}
	ch.PollInterval = time.Duration(interval) * time.Millisecond
	if backfill.Valid {
		ch.BackfillSince = timeMS(backfill.Int64)
	}
	ch.Health.State = anliegen.ChannelState(state)
	ch.Health.LastPollAt, ch.Health.LastSuccessAt, ch.Health.NextPollAt = ptrMS(lastPoll), ptrMS(lastOK), ptrMS(nextP)
	ch.CreatedAt = timeMS(created)
	return ch, err
}

// Channels returns the channels to poll and administer, by ID. The hidden
// import channels (see ImportHistory) are left out.
func (db *DB) Channels(ctx context.Context) ([]anliegen.Channel, error) {
	rows, err := db.read().QueryContext(ctx, `SELECT `+channelColumns+` FROM channels WHERE NOT hidden ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list channels: %w", err)
	}
	defer rows.Close()
	var out []anliegen.Channel
	for rows.Next() {
		ch, err := scanChannel(rows)
		if err != nil {
			return nil, fmt.Errorf("scan channel: %w", err)
		}
		out = append(out, ch)
	}
	return out, rows.Err()
}

// Channel returns one channel, hidden ones included; ENotFound.
func (db *DB) Channel(ctx context.Context, id int64) (anliegen.Channel, error) {
	ch, err := scanChannel(db.read().QueryRowContext(ctx, `SELECT `+channelColumns+` FROM channels WHERE id = ?`, id))
	if err != nil {
		return anliegen.Channel{}, dbError(err, "channel")
	}
	return ch, nil
}

func validateChannel(ch *anliegen.Channel) error {
	switch {
	case !ch.Platform.Valid():
		return anliegen.Invalid("platform", "unknown platform %q", ch.Platform)
	case strings.TrimSpace(ch.Name) == "":
		return anliegen.Invalid("name", "must not be empty")
	case len(ch.Name) > 200:
		return anliegen.Invalid("name", "must be at most 200 bytes")
	case ch.PollInterval < 0:
		return anliegen.Invalid("poll_interval", "must not be negative")
	case len(ch.Settings) > 0 && !json.Valid(ch.Settings):
		return anliegen.Invalid("settings", "must be valid JSON")
	}
	return nil
}

func settingsText(s json.RawMessage) string {
	if len(s) == 0 {
		return "{}"
	}
	return string(s)
}

// CreateChannel stores ch and sets its ID, CreatedAt and health (ok, or
// disabled); EInvalid.
func (db *DB) CreateChannel(ctx context.Context, ch *anliegen.Channel) error {
	if err := validateChannel(ch); err != nil {
		return err
	}
	return db.createChannel(ctx, ch, false)
}

func (db *DB) createChannel(ctx context.Context, ch *anliegen.Channel, hidden bool) error {
	ch.CreatedAt = db.now().UTC().Truncate(time.Millisecond)
	ch.Health = anliegen.ChannelHealth{State: anliegen.ChannelOK}
	if !ch.Enabled {
		ch.Health.State = anliegen.ChannelDisabled
	}
	return db.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO channels(platform, name, account, settings, secret, enabled,
			hidden, poll_interval_ms, cursor, backfill_since, state, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			string(ch.Platform), ch.Name, ch.Account, settingsText(ch.Settings), ch.Secret, ch.Enabled, hidden,
			ch.PollInterval.Milliseconds(), ch.Cursor, zeroNullMS(ch.BackfillSince), string(ch.Health.State),
			unixMS(ch.CreatedAt))
		if err != nil {
			return dbError(err, "channel")
		}
		ch.ID, err = res.LastInsertId()
		return err
	})
}

// UpdateChannel changes name, account, settings, secret, enabled, poll
// interval and backfill start of ch.ID. A nil Secret or Settings keeps the
// stored one, since the API never sends the secret back. Enabling or
// disabling sets the health state to match. ENotFound, EInvalid.
func (db *DB) UpdateChannel(ctx context.Context, ch *anliegen.Channel) error {
	if err := validateChannel(ch); err != nil {
		return err
	}
	var settings any
	if ch.Settings != nil {
		settings = settingsText(ch.Settings)
	}
	return db.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE channels SET name = ?, account = ?, settings = coalesce(?, settings),
			secret = coalesce(?, secret), enabled = ?, poll_interval_ms = ?, backfill_since = ?,
			state = CASE WHEN ? THEN (CASE WHEN state = 'disabled' THEN 'ok' ELSE state END) ELSE 'disabled' END
			WHERE id = ?`,
			ch.Name, ch.Account, settings, ch.Secret, ch.Enabled, ch.PollInterval.Milliseconds(),
			zeroNullMS(ch.BackfillSince), ch.Enabled, ch.ID)
		if err != nil {
			return dbError(err, "channel")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return anliegen.Errorf(anliegen.ENotFound, "channel not found")
		}
		return nil
	})
}

// DeleteChannel removes a channel that has no messages; ENotFound, and
// EConflict when messages exist (disable the channel instead: its tickets
// and their history stay).
func (db *DB) DeleteChannel(ctx context.Context, id int64) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		var used bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM tickets WHERE channel_id = ?)
			OR EXISTS (SELECT 1 FROM messages WHERE channel_id = ?)`, id, id).Scan(&used); err != nil {
			return fmt.Errorf("delete channel: %w", err)
		}
		if used {
			return anliegen.Errorf(anliegen.EConflict, "the channel has messages; disable it instead")
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM channels WHERE id = ?`, id)
		if err != nil {
			return dbError(err, "channel")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return anliegen.Errorf(anliegen.ENotFound, "channel not found")
		}
		return nil
	})
}

// SetChannelHealth records a poll outcome (ItemsTotal is kept: Ingest
// counts it) and writes a channel.health event when the state changed or
// the poll failed; ENotFound.
func (db *DB) SetChannelHealth(ctx context.Context, id int64, h anliegen.ChannelHealth) error {
	if h.State == "" {
		h.State = anliegen.ChannelOK
	}
	h.LastError = truncateUTF8(cleanText(h.LastError), 2000)
	return db.write(ctx, func(tx *sql.Tx) error {
		var prev string
		var total int64
		err := tx.QueryRowContext(ctx, `SELECT state, items_total FROM channels WHERE id = ?`, id).Scan(&prev, &total)
		if err != nil {
			return dbError(err, "channel")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE channels SET state = ?, last_poll_at = ?, last_success_at = ?,
			last_error = ?, consecutive_failures = ?, next_poll_at = ? WHERE id = ?`,
			string(h.State), nullMS(h.LastPollAt), nullMS(h.LastSuccessAt), h.LastError, h.ConsecutiveFailures,
			nullMS(h.NextPollAt), id); err != nil {
			return fmt.Errorf("set channel health: %w", err)
		}
		if prev == string(h.State) && h.State == anliegen.ChannelOK && h.ConsecutiveFailures == 0 {
			return nil
		}
		h.ItemsTotal = total
		data := struct {
			anliegen.ChannelHealth
			PrevState string `json:"prev_state"`
		}{h, prev}
		_, err = db.appendEvent(ctx, tx, anliegen.Event{Type: anliegen.EventChannelHealth, ChannelID: id, Data: eventData(data)})
		return err
	})
}
