package storage

import (
	"regexp"
	"strings"
	"testing"
)

// TestHotQueriesUseIndexes checks the query plans of the statements that
// run per ingested item or per page: a full scan of a large table there
// is what turns 20,000 messages/s into 200. Partial indexes are only used
// when the query repeats their WHERE term, which is easy to forget.
func TestHotQueriesUseIndexes(t *testing.T) {
	db := mustOpen(t)
	fullScan := regexp.MustCompile(`^SCAN (messages|tickets|events|identities|contacts)( |$)`)
	for _, q := range []string{
		`SELECT m.id, m.ticket_id, m.text, m.html, m.edited_at, m.deleted, m.direction = 'out', t.department
			FROM messages m JOIN tickets t ON t.id = m.ticket_id
			WHERE m.channel_id = ? AND m.external_id = ? AND m.external_id <> ''`,
		`SELECT m.external_id, m.id FROM messages m JOIN tickets t ON t.id = m.ticket_id
			WHERE m.channel_id = ? AND m.external_id IN (?, ?, ?) AND m.external_id <> ''`,
		`SELECT EXISTS (SELECT 1 FROM messages WHERE channel_id = ? AND external_id = ? AND external_id <> '')`,
		`SELECT ticket_id FROM messages WHERE channel_id = ? AND external_id = ? AND external_id <> ''`,
		`SELECT id FROM tickets WHERE channel_id = ? AND thread_key = ? AND thread_key <> '' ORDER BY id DESC LIMIT 1`,
		`SELECT id, contact_id, handle, name FROM identities WHERE platform = ? AND external_id = ?`,
		`SELECT id FROM messages WHERE delivery_state = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT 10`,
		`SELECT ` + eventColumns + ` FROM events WHERE id > ? ORDER BY id LIMIT 100`,
		`SELECT external_id FROM messages WHERE ticket_id = ? AND direction = 'in' AND external_id <> '' ORDER BY created_at DESC, id DESC LIMIT 1`,
		`SELECT id FROM tickets WHERE id > ? ORDER BY id LIMIT 500`,
		strings.Replace(indexDocSelect, "%s", "?,?", 1),
	} {
		rows, err := db.read().Query(`EXPLAIN QUERY PLAN `+q, make([]any, strings.Count(q, "?"))...)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			if fullScan.MatchString(detail) {
				t.Errorf("full scan %q in\n%s", detail, q)
			}
		}
		rows.Close()
	}
}
