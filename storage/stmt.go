package storage

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/anliegen/anliegen"
)

// txStmts prepares each statement once per transaction: bulk paths (ingest,
// import) run the same dozen statements thousands of times, and SQLite then
// parses and plans each only once. Statements close with the transaction.
type txStmts struct {
	ctx context.Context
	tx  *sql.Tx
	m   map[string]*sql.Stmt
	// shared are statements prepared once per DB (DB.bulk); the
	// transaction uses them on its connection without preparing again.
	shared map[string]*sql.Stmt
}

func newTxStmts(ctx context.Context, tx *sql.Tx) *txStmts {
	return &txStmts{ctx: ctx, tx: tx, m: make(map[string]*sql.Stmt, 16)}
}

func (s *txStmts) get(query string) (*sql.Stmt, error) {
	if st, ok := s.m[query]; ok {
		return st, nil
	}
	if st := s.shared[query]; st != nil {
		st = s.tx.StmtContext(s.ctx, st)
		s.m[query] = st
		return st, nil
	}
	st, err := s.tx.PrepareContext(s.ctx, query)
	if err != nil {
		return nil, fmt.Errorf("prepare: %w", err)
	}
	s.m[query] = st
	return st, nil
}

func (s *txStmts) exec(query string, args ...any) (sql.Result, error) {
	st, err := s.get(query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(s.ctx, args...)
}

// insert runs an INSERT and returns the new row's id.
func (s *txStmts) insert(query string, args ...any) (int64, error) {
	res, err := s.exec(query, args...)
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// scan runs a query expected to return at most one row into dest; it
// returns sql.ErrNoRows when there is none.
func (s *txStmts) scan(query string, args []any, dest ...any) error {
	st, err := s.get(query)
	if err != nil {
		return err
	}
	return st.QueryRowContext(s.ctx, args...).Scan(dest...)
}

// event appends e like appendEvent, with a prepared statement.
func (s *txStmts) event(e anliegen.Event, now time.Time) (int64, error) {
	if e.CreatedAt.IsZero() {
		e.CreatedAt = now
	}
	id, err := s.insert(insertEventSQL, eventArgs(e)...)
	if err != nil {
		return 0, fmt.Errorf("append event %s: %w", e.Type, err)
	}
	return id, nil
}
