package storage

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/anliegen/anliegen"
)

// CreateSession starts a session for userID valid for ttl and returns it
// with its token; only the token's hash is stored. Sessions that expired
// more than a day ago are removed on the way, so the table stays small
// without a sweeper. ENotFound (user), EInvalid (ttl).
func (db *DB) CreateSession(ctx context.Context, userID int64, ttl time.Duration) (anliegen.Session, error) {
	if ttl <= 0 {
		return anliegen.Session{}, anliegen.Invalid("ttl", "must be positive")
	}
	token, err := newToken()
	if err != nil {
		return anliegen.Session{}, err
	}
	csrf, err := newToken()
	if err != nil {
		return anliegen.Session{}, err
	}
	now := timeMS(unixMS(db.now()))
	s := anliegen.Session{Token: token, UserID: userID, CSRFToken: csrf, CreatedAt: now, ExpiresAt: now.Add(ttl)}
	err = db.write(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE id = ?`, userID).Scan(&n); err != nil {
			return fmt.Errorf("create session: %w", err)
		}
		if n == 0 {
			return anliegen.Errorf(anliegen.ENotFound, "user not found")
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at < ?`,
			unixMS(now.Add(-24*time.Hour))); err != nil {
			return fmt.Errorf("prune sessions: %w", err)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO sessions(token_hash, user_id, csrf_token, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?)`, hashToken(token), userID, csrf, unixMS(s.CreatedAt), unixMS(s.ExpiresAt))
		return dbError(err, "session")
	})
	if err != nil {
		return anliegen.Session{}, err
	}
	return s, nil
}

// SessionUser returns the session and its user for token. EUnauthorized,
// with one message for all cases, when the token is unknown, expired or
// revoked or the user is disabled.
func (db *DB) SessionUser(ctx context.Context, token string) (anliegen.Session, anliegen.User, error) {
	denied := anliegen.Errorf(anliegen.EUnauthorized, "not logged in")
	if token == "" || len(token) > 128 {
		return anliegen.Session{}, anliegen.User{}, denied
	}
	var (
		s                anliegen.Session
		created, expires int64
	)
	row := db.read().QueryRowContext(ctx, `SELECT `+userColumns+`, s.csrf_token, s.created_at, s.expires_at
		FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.token_hash = ? AND NOT s.revoked AND s.expires_at > ?`,
		hashToken(token), unixMS(db.now()))
	u, err := scanUser(row, &s.CSRFToken, &created, &expires)
	if anliegen.ErrorCode(dbError(err, "session")) == anliegen.ENotFound {
		return anliegen.Session{}, anliegen.User{}, denied
	}
	if err != nil {
		return anliegen.Session{}, anliegen.User{}, fmt.Errorf("session: %w", err)
	}
	if u.Disabled {
		return anliegen.Session{}, anliegen.User{}, denied
	}
	s.UserID, s.CreatedAt, s.ExpiresAt = u.ID, timeMS(created), timeMS(expires)
	return s, u, nil
}

// DeleteSession revokes the session of token (logout). An unknown token is
// no error: logging out twice is harmless.
func (db *DB) DeleteSession(ctx context.Context, token string) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE sessions SET revoked = 1 WHERE token_hash = ?`, hashToken(token)); err != nil {
			return fmt.Errorf("delete session: %w", err)
		}
		return nil
	})
}
