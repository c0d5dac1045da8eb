package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/anliegen/anliegen"
)

// Backup writes a consistent copy of the database to path with VACUUM
// INTO, while readers and the writer go on (it reads one snapshot). The
// copy is compact and needs no WAL. EConflict when path exists: a backup
// never overwrites; EInvalid for an empty path.
func (db *DB) Backup(ctx context.Context, path string) error {
	if path == "" {
		return anliegen.Invalid("path", "must not be empty")
	}
	if _, err := os.Stat(path); err == nil {
		return anliegen.Errorf(anliegen.EConflict, "backup file %s exists", path)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("backup: %w", err)
	}
	// A connection of its own: the readers are query_only, which forbids
	// writing the copy, and the writer must stay free for ingest while the
	// copy is made from one read snapshot.
	conn, err := sql.Open("sqlite", db.path+"?"+pragmas)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `VACUUM INTO ?`, path); err != nil {
		return fmt.Errorf("backup to %s: %w", path, err)
	}
	return nil
}

// Stats are the store's vital figures for "anliegen stats", the admin page
// and metrics.
type Stats struct {
	SchemaVersion  int              `json:"schema_version"`
	LastEventID    int64            `json:"last_event_id"`
	Tickets        int64            `json:"tickets"`
	ByStatus       map[string]int64 `json:"by_status"`
	ByDepartment   map[string]int64 `json:"by_department"` // "" is unrouted
	Messages       int64            `json:"messages"`
	PendingReplies int64            `json:"pending_replies"`
	FailedReplies  int64            `json:"failed_replies"`
	Contacts       int64            `json:"contacts"`
	Channels       int64            `json:"channels"`   // hidden import channels included
	FileBytes      int64            `json:"file_bytes"` // database file plus WAL
}

// Stats counts what the store holds, from one read snapshot.
func (db *DB) Stats(ctx context.Context) (Stats, error) {
	s := Stats{ByStatus: map[string]int64{}, ByDepartment: map[string]int64{}}
	tx, err := db.read().BeginTx(ctx, nil)
	if err != nil {
		return s, fmt.Errorf("stats: %w", err)
	}
	defer tx.Rollback()
	if s.SchemaVersion, err = schemaVersion(ctx, tx); err != nil {
		return s, err
	}
	err = tx.QueryRowContext(ctx, `SELECT
		(SELECT coalesce(max(id), 0) FROM events),
		(SELECT count(*) FROM messages),
		(SELECT count(*) FROM messages WHERE delivery_state = 'pending'),
		(SELECT count(*) FROM messages WHERE delivery_state = 'failed'),
		(SELECT count(*) FROM contacts),
		(SELECT count(*) FROM channels)`).
		Scan(&s.LastEventID, &s.Messages, &s.PendingReplies, &s.FailedReplies, &s.Contacts, &s.Channels)
	if err != nil {
		return s, fmt.Errorf("stats: %w", err)
	}
	for _, g := range []struct {
		col string
		m   map[string]int64
	}{{"status", s.ByStatus}, {"department", s.ByDepartment}} {
		rows, err := tx.QueryContext(ctx, `SELECT `+g.col+`, count(*) FROM tickets GROUP BY `+g.col)
		if err != nil {
			return s, fmt.Errorf("stats by %s: %w", g.col, err)
		}
		for rows.Next() {
			var k string
			var n int64
			if err := rows.Scan(&k, &n); err != nil {
				rows.Close()
				return s, fmt.Errorf("stats by %s: %w", g.col, err)
			}
			g.m[k] = n
			if g.col == "status" {
				s.Tickets += n
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return s, fmt.Errorf("stats by %s: %w", g.col, err)
		}
	}
	for _, p := range []string{db.path, db.path + "-wal"} {
		if fi, err := os.Stat(p); err == nil {
			s.FileBytes += fi.Size()
		}
	}
	return s, nil
}
