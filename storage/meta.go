package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
)

// Keys of the meta table that other parts of the package share.
const (
	// metaRulesVersion is bumped (bumpRulesVersion) by every change to the
	// rules table; ingest reloads its cached router when it changed.
	metaRulesVersion = "rules_version"
)

type execQueryer interface {
	queryer
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// metaGet returns the value of key, "" when unset.
func metaGet(ctx context.Context, q queryer, key string) (string, error) {
	var v string
	err := q.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read meta %s: %w", key, err)
	}
	return v, nil
}

// metaSet sets key to value.
func metaSet(ctx context.Context, tx execQueryer, key, value string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO meta(key, value) VALUES (?, ?)
		ON CONFLICT(key) DO UPDATE SET value = excluded.value`, key, value)
	if err != nil {
		return fmt.Errorf("write meta %s: %w", key, err)
	}
	return nil
}

// metaIncr adds one to the integer counter key (0 when unset) and returns
// the new value. Call it inside a write transaction.
func metaIncr(ctx context.Context, tx execQueryer, key string) (int64, error) {
	var v string
	err := tx.QueryRowContext(ctx, `INSERT INTO meta(key, value) VALUES (?, '1')
		ON CONFLICT(key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)
		RETURNING value`, key).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("increment meta %s: %w", key, err)
	}
	return strconv.ParseInt(v, 10, 64)
}

// bumpRulesVersion marks the rules as changed. Every write to the rules
// table calls it in the same transaction, so that ingest, which caches the
// compiled router, reloads it.
func bumpRulesVersion(ctx context.Context, tx *sql.Tx) error {
	_, err := metaIncr(ctx, tx, metaRulesVersion)
	return err
}
