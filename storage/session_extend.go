package storage

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// ExtendSession moves the expiry of token's session forward to expiresAt:
// the server's sliding expiry, which also decides how often to call it.
// A session that is unknown, revoked, already expired or already valid
// until expiresAt or later is left as it is, without error: the call
// never revives a session and never shortens one.
func (db *DB) ExtendSession(ctx context.Context, token string, expiresAt time.Time) error {
	if token == "" || len(token) > 128 {
		return nil
	}
	exp := unixMS(expiresAt)
	return db.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE sessions SET expires_at = ?
			WHERE token_hash = ? AND NOT revoked AND expires_at > ? AND expires_at < ?`,
			exp, hashToken(token), unixMS(db.now()), exp)
		if err != nil {
			return fmt.Errorf("extend session: %w", err)
		}
		return nil
	})
}
