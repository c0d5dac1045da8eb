package bench

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the same SQLite driver as the store
)

// basePragmas are the store's durability settings (storage.Open), so that
// the anchors pay for the same journal and sync as the store does.
const basePragmas = "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=cache_size(-32000)&_pragma=temp_store(MEMORY)"

// rawInsert is the anchor of backfill: the same rows, in the same batches,
// as plain INSERTs into one table with the uniqueness the store keeps
// (channel, external id), and nothing else: no threading, contacts,
// tickets, events or index. It returns rows per second of insert time.
func rawInsert(ctx context.Context, path string, seed int64, n, batch int) (float64, error) {
	db, err := sql.Open("sqlite", path+basePragmas)
	if err != nil {
		return 0, fmt.Errorf("open raw anchor: %w", err)
	}
	defer removeSQLite(path)
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, `CREATE TABLE messages(id INTEGER PRIMARY KEY, channel INTEGER NOT NULL,
		external_id TEXT NOT NULL, thread TEXT NOT NULL, author TEXT NOT NULL, text TEXT NOT NULL,
		created_at INTEGER NOT NULL, UNIQUE(channel, external_id))`); err != nil {
		return 0, fmt.Errorf("create raw anchor: %w", err)
	}
	c := newCorpus(seed, n, "")
	rows := make([]genItem, 0, batch)
	var spent time.Duration
	for {
		rows = rows[:0]
		for len(rows) < batch {
			it, ok := c.next()
			if !ok {
				break
			}
			rows = append(rows, it)
		}
		if len(rows) == 0 {
			break
		}
		start := time.Now()
		if err := insertRows(ctx, db, rows); err != nil {
			return 0, err
		}
		spent += time.Since(start)
	}
	return float64(n) / spent.Seconds(), nil
}

func insertRows(ctx context.Context, db *sql.DB, rows []genItem) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("raw anchor: %w", err)
	}
	defer tx.Rollback()
	st, err := tx.PrepareContext(ctx, `INSERT INTO messages(channel, external_id, thread, author, text, created_at)
		VALUES (?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("raw anchor: %w", err)
	}
	defer st.Close()
	for _, r := range rows {
		if _, err := st.ExecContext(ctx, r.channel, r.item.ExternalID, r.item.ThreadID, r.item.Author.Name,
			r.item.Text, r.item.CreatedAt.UnixMilli()); err != nil {
			return fmt.Errorf("raw anchor insert: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("raw anchor commit: %w", err)
	}
	return nil
}

// fts5 is the search anchor: SQLite FTS5 with the unicode61 tokenizer
// (case and diacritics folded, no stemming) over the same message texts,
// ranked by bm25.
type fts5 struct {
	db   *sql.DB
	path string
}

func buildFTS5(ctx context.Context, path string, seed int64, n, batch int) (*fts5, error) {
	db, err := sql.Open("sqlite", path+basePragmas)
	if err != nil {
		return nil, fmt.Errorf("open fts5 anchor: %w", err)
	}
	f := &fts5{db: db, path: path}
	if _, err := db.ExecContext(ctx, `CREATE VIRTUAL TABLE m USING fts5(text, tokenize='unicode61')`); err != nil {
		f.Close()
		return nil, fmt.Errorf("create fts5 anchor: %w", err)
	}
	c := newCorpus(seed, n, "")
	for done := false; !done; {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("fts5 anchor: %w", err)
		}
		for range batch {
			it, ok := c.next()
			if !ok {
				done = true
				break
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO m(text) VALUES (?)`, it.item.Text); err != nil {
				_ = tx.Rollback()
				f.Close()
				return nil, fmt.Errorf("fts5 anchor insert: %w", err)
			}
		}
		if err := tx.Commit(); err != nil {
			f.Close()
			return nil, fmt.Errorf("fts5 anchor commit: %w", err)
		}
	}
	return f, nil
}

// search runs q as the OR of its words, best 20 by bm25, and returns the
// number of rows read.
func (f *fts5) search(ctx context.Context, q string) (int, error) {
	var words []string
	for _, w := range strings.Fields(q) {
		words = append(words, `"`+strings.ReplaceAll(w, `"`, `""`)+`"`)
	}
	rows, err := f.db.QueryContext(ctx, `SELECT rowid, snippet(m, 0, '<mark>', '</mark>', '…', 12) FROM m
		WHERE m MATCH ? ORDER BY bm25(m) LIMIT 20`, strings.Join(words, " OR "))
	if err != nil {
		return 0, fmt.Errorf("fts5 search: %w", err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var id int64
		var snip string
		if err := rows.Scan(&id, &snip); err != nil {
			return n, fmt.Errorf("fts5 search: %w", err)
		}
		n++
	}
	return n, rows.Err()
}

// Close closes and removes the anchor's file.
func (f *fts5) Close() {
	f.db.Close()
	removeSQLite(f.path)
}

// removeSQLite removes a database file and its WAL and shared-memory files.
func removeSQLite(path string) {
	for _, suffix := range []string{"", "-wal", "-shm"} {
		_ = os.Remove(path + suffix)
	}
}
