package storage

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/anliegen/anliegen"
)

// Size of the benchmark store: the design target of one town (ARCHITECTURE.md,
// "Scale"). ~3.3 messages per ticket.
const (
	benchTickets  = 300_000
	benchMessages = 1_000_000
	benchVersion  = 4 // bump when the generator changes, to rebuild the cache
)

// benchDepartments with their share of tickets in percent; "" is unrouted.
// standesamt is the small department whose filter is most selective.
var benchDepartments = []struct {
	id    string
	share int
}{
	{"", 5}, {"abfall", 20}, {"kfz", 15}, {"buergeramt", 15}, {"umwelt", 10}, {"verkehr", 10},
	{"bau", 8}, {"soziales", 7}, {"schule", 5}, {"kultur", 4}, {"standesamt", 1},
}

// benchStore opens the large store, generating it on first use into a file
// under the system temp dir that later runs reuse (generation takes about a
// minute; listing only reads, so sharing it is safe).
func benchStore(b *testing.B) *DB {
	b.Helper()
	ms, err := migrations()
	if err != nil {
		b.Fatal(err)
	}
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("anliegen-bench-tickets-v%d-m%d", benchVersion, len(ms)))
	ctx := context.Background()
	if _, err := os.Stat(filepath.Join(dir, "complete")); err != nil {
		os.RemoveAll(dir)
		start := time.Now()
		db, err := Open(ctx, dir, slog.New(slog.DiscardHandler))
		if err != nil {
			b.Fatal(err)
		}
		if err := generateBenchStore(ctx, db); err != nil {
			b.Fatal(err)
		}
		if err := db.Close(); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "complete"), nil, 0o600); err != nil {
			b.Fatal(err)
		}
		b.Logf("generated %d tickets, %d messages in %s", benchTickets, benchMessages, time.Since(start).Round(time.Second))
	}
	db, err := Open(ctx, dir, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db
}

// generateBenchStore fills db by bulk SQL: recursive CTEs instead of
// Ingest, which would take an hour at this size. The values are spread by
// a multiplicative hash of the id, so filters hit rows all over the table
// as they would after two years of use; created_at grows with the id.
func generateBenchStore(ctx context.Context, db *DB) error {
	var deptCase string
	lo := 0
	for _, d := range benchDepartments {
		deptCase += fmt.Sprintf(" WHEN h %% 100 < %d THEN '%s'", lo+d.share, d.id)
		lo += d.share
	}
	start := time.Date(2024, 11, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	step := int64(2*365*24*time.Hour/time.Millisecond) / benchTickets
	stmts := []string{
		`INSERT INTO channels(id, platform, name, created_at) VALUES (1, 'facebook', 'Facebook', 0), (2, 'instagram', 'Instagram', 0),
			(3, 'mastodon', 'Mastodon', 0), (4, 'email', 'Bürgerservice', 0), (5, 'whatsapp', 'WhatsApp', 0),
			(6, 'x', 'X', 0), (7, 'bluesky', 'Bluesky', 0), (8, 'webform', 'Formular', 0)`,
		`WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 20)
			INSERT INTO users(id, login, name, role, password_hash, created_at)
			SELECT i, 'user' || i, 'User ' || i, 'agent', 'x', 0 FROM s`,
		`WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 100000)
			INSERT INTO contacts(id, name, created_at) SELECT i, 'Bürger ' || i, 0 FROM s`,
		fmt.Sprintf(`WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < %d),
			h(i, h) AS (SELECT i, (i * 2654435761) %% 1000003 FROM s)
			INSERT INTO tickets(id, number, status, priority, department, assignee_id, tags, channel_id, platform, kind,
				contact_id, subject, preview, created_at, updated_at, first_response_at, resolved_at)
			SELECT i, printf('A-%%07d', i),
				CASE WHEN h %% 20 < 12 THEN 'closed' WHEN h %% 20 < 14 THEN 'resolved' WHEN h %% 20 < 16 THEN 'waiting'
					WHEN h %% 20 < 18 THEN 'open' ELSE 'new' END,
				CASE WHEN h %% 97 < 3 THEN 'urgent' WHEN h %% 97 < 15 THEN 'high' WHEN h %% 97 < 85 THEN 'normal' ELSE 'low' END,
				CASE %s ELSE '' END,
				CASE WHEN h %% 7 < 2 THEN h %% 20 + 1 END,
				CASE h %% 5 WHEN 0 THEN '["sperrmuell"]' WHEN 1 THEN '["termin","online"]' ELSE '[]' END,
				h %% 8 + 1, 'facebook', CASE WHEN h %% 8 = 3 THEN 'mail' ELSE 'comment' END,
				h %% 100000 + 1, '', 'Guten Tag, ich habe eine Frage zu meinem Anliegen Nummer ' || i,
				%d + i * %d, %d + i * %d + h * 600, %d + i * %d + h * 3,
				CASE WHEN h %% 20 < 14 THEN %d + i * %d + h * 500 END
			FROM h`, benchTickets, deptCase, start, step, start, step, start, step, start, step),
		`UPDATE tickets SET platform = (SELECT platform FROM channels WHERE id = tickets.channel_id)`,
		fmt.Sprintf(`WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < %d)
			INSERT INTO messages(id, ticket_id, channel_id, direction, external_id, author, contact_id, text, created_at)
			SELECT i, t.id, t.channel_id, CASE WHEN i > %d AND i %% 3 = 0 THEN 'out' ELSE 'in' END, 'm' || i, 'Bürger',
				t.contact_id, 'Sehr geehrte Damen und Herren, wann wird der Sperrmüll in der Lindenstraße abgeholt? ' || i,
				t.created_at + (i / %d) * 3600000
			FROM s JOIN tickets t ON t.id = (i - 1) %% %d + 1`, benchMessages, benchTickets, benchTickets, benchTickets),
		// Subject and preview by reference, as ingest writes them since
		// migrations 0004 and 0005: the first message is the ticket's id;
		// where the second message is inbound it is the preview, so that
		// two thirds of the rows read both.
		fmt.Sprintf(`UPDATE tickets SET subject = '', preview = '', first_id = id,
			preview_id = CASE WHEN (id + %d) %% 3 <> 0 AND id + %d <= %d THEN id + %d ELSE id END`,
			benchTickets, benchTickets, benchMessages, benchTickets),
	}
	return db.write(ctx, func(tx *sql.Tx) error {
		for _, q := range stmts {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("%.60s: %w", q, err)
			}
		}
		return nil
	})
}

// BenchmarkListTickets measures ListTickets on the large store: the first
// page and a deep page (after 10,000 rows, reached through a cursor) for
// the filters an inbox uses. It reports p50 and p99 per call; "baseline"
// is the unfiltered first page.
func BenchmarkListTickets(b *testing.B) {
	db := benchStore(b)
	ctx := context.Background()
	abfall := anliegen.Scope{Departments: []string{"abfall"}}
	small := anliegen.Scope{Departments: []string{"standesamt"}}
	open := []anliegen.Status{"new", "open", "waiting"}
	cases := []struct {
		name  string
		f     anliegen.TicketFilter
		naive bool // run the query without the planner hints, as raw SQL
	}{
		{"baseline", anliegen.TicketFilter{Scope: anliegen.ScopeAll}, false},
		{"all", anliegen.TicketFilter{Scope: anliegen.ScopeAll}, false},
		{"dept=abfall", anliegen.TicketFilter{Scope: abfall}, false},
		{"dept=standesamt", anliegen.TicketFilter{Scope: small}, false},
		{"status=open", anliegen.TicketFilter{Scope: anliegen.ScopeAll, Statuses: []anliegen.Status{"open"}}, false},
		{"dept=abfall,status=new|open|waiting", anliegen.TicketFilter{Scope: abfall, Statuses: open}, false},
		{"dept=standesamt,status=new|open|waiting", anliegen.TicketFilter{Scope: small, Statuses: open}, false},
		{"two-depts,status=new|open|waiting", anliegen.TicketFilter{Scope: anliegen.Scope{Departments: []string{"kfz", "abfall"}}, Statuses: open}, false},
		{"tag=sperrmuell", anliegen.TicketFilter{Scope: anliegen.ScopeAll, Tags: []string{"sperrmuell"}}, false},
		{"unassigned,status=new", anliegen.TicketFilter{Scope: anliegen.ScopeAll, Unassigned: true, Statuses: []anliegen.Status{"new"}}, false},
		{"sort=priority", anliegen.TicketFilter{Scope: anliegen.ScopeAll, Sort: "priority"}, false},
		{"sort=priority,dept=abfall", anliegen.TicketFilter{Scope: abfall, Sort: "priority"}, false},
		{"sort=updated_desc", anliegen.TicketFilter{Scope: anliegen.ScopeAll, Sort: "updated_desc"}, false},
		{"viewer-unread", anliegen.TicketFilter{Scope: anliegen.ScopeAll, ViewerID: 1}, false},
		{"naive:dept=abfall,status=new|open|waiting", anliegen.TicketFilter{Scope: abfall, Statuses: open}, true},
		{"naive:two-depts,status=new|open|waiting", anliegen.TicketFilter{Scope: anliegen.Scope{Departments: []string{"kfz", "abfall"}}, Statuses: open}, true},
		{"naive:tag=sperrmuell", anliegen.TicketFilter{Scope: anliegen.ScopeAll, Tags: []string{"sperrmuell"}}, true},
	}
	for _, c := range cases {
		pages := []string{"first", "deep"}
		if c.name == "baseline" {
			pages = pages[:1]
		}
		for _, page := range pages {
			f := c.f
			f.Limit = 50
			if page == "deep" {
				f.Cursor = deepCursor(b, db, f, 10_000)
				if f.Cursor == "" {
					continue // fewer than 10,000 matches
				}
			}
			list := func() (int, error) {
				p, err := db.ListTickets(ctx, f)
				return len(p.Items), err
			}
			if c.naive {
				list = naiveList(b, db, f)
			}
			if page == "first" && testing.Verbose() {
				b.Logf("%s: %s", c.name, explainList(b, db, f))
			}
			b.Run(c.name+"/"+page, func(b *testing.B) {
				var durs []time.Duration
				for b.Loop() {
					start := time.Now()
					n, err := list()
					durs = append(durs, time.Since(start))
					if err != nil || n == 0 {
						b.Fatalf("%d items, %v", n, err)
					}
				}
				reportPercentiles(b, durs)
			})
		}
	}
}

// naiveList runs f's query as SQLite would plan it without ListTickets'
// hints (no unary +, tags as "id IN (...)"): the comparison that shows
// what the hints buy.
func naiveList(b *testing.B, db *DB, f anliegen.TicketFilter) func() (int, error) {
	lq, err := listQuery(&f)
	if err != nil {
		b.Fatal(err)
	}
	q := strings.ReplaceAll(lq.sql, "+t.", "t.")
	q = strings.ReplaceAll(q, "EXISTS (SELECT 1 FROM ticket_tags tt WHERE tt.tag = ? AND tt.ticket_id = t.id)",
		"t.id IN (SELECT ticket_id FROM ticket_tags WHERE tag = ?)")
	if testing.Verbose() {
		b.Logf("naive plan: %s", explainSQL(b, db, q, lq.args))
	}
	return func() (int, error) {
		rows, err := db.read().Query(q, lq.args...)
		if err != nil {
			return 0, err
		}
		defer rows.Close()
		n := 0
		for rows.Next() {
			if _, err := scanTicket(rows); err != nil {
				return n, err
			}
			n++
		}
		return n, rows.Err()
	}
}

// deepCursor returns the cursor after the first n matches of f, found by
// paging with the largest page size.
func deepCursor(b *testing.B, db *DB, f anliegen.TicketFilter, n int) string {
	b.Helper()
	f.Limit = 100
	for seen := 0; seen < n; seen += 100 {
		p, err := db.ListTickets(context.Background(), f)
		if err != nil {
			b.Fatal(err)
		}
		if p.Next == "" {
			return ""
		}
		f.Cursor = p.Next
	}
	return f.Cursor
}

func reportPercentiles(b *testing.B, durs []time.Duration) {
	slices.Sort(durs)
	at := func(p float64) float64 {
		return float64(durs[int(p*float64(len(durs)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(at(0.5), "p50-ms")
	b.ReportMetric(at(0.99), "p99-ms")
}

// explainList returns SQLite's plan for the page query of f, one line.
func explainList(tb testing.TB, db *DB, f anliegen.TicketFilter) string {
	tb.Helper()
	lq, err := listQuery(&f)
	if err != nil {
		tb.Fatal(err)
	}
	return explainSQL(tb, db, lq.sql, lq.args)
}

func explainSQL(tb testing.TB, db *DB, q string, args []any) string {
	tb.Helper()
	rows, err := db.read().Query("EXPLAIN QUERY PLAN "+q, args...)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			tb.Fatal(err)
		}
		plan = append(plan, detail)
	}
	return strings.Join(plan, "; ")
}

// BenchmarkTicketStats measures the statistics page on the large store for
// a month and a year, for everyone and for one department.
func BenchmarkTicketStats(b *testing.B) {
	db := benchStore(b)
	ctx := context.Background()
	end := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name  string
		scope anliegen.Scope
		days  int
	}{
		{"all/30d", anliegen.ScopeAll, 30},
		{"all/365d", anliegen.ScopeAll, 365},
		{"dept=abfall/30d", anliegen.Scope{Departments: []string{"abfall"}}, 30},
		{"dept=abfall/365d", anliegen.Scope{Departments: []string{"abfall"}}, 365},
	} {
		b.Run(c.name, func(b *testing.B) {
			var durs []time.Duration
			for b.Loop() {
				start := time.Now()
				st, err := db.TicketStats(ctx, c.scope, end.AddDate(0, 0, -c.days), end)
				durs = append(durs, time.Since(start))
				if err != nil || st.Total == 0 {
					b.Fatalf("%+v, %v", st.Total, err)
				}
			}
			reportPercentiles(b, durs)
		})
	}
}
