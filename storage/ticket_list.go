package storage

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/anliegen/anliegen"
)

// The "priority" sort walks tickets.urgency (migration 0003): 0 for
// urgent up to 4 for an unknown priority, so ascending is most pressing
// first; urgencyRank computes the same in Go for cursors.
func urgencyRank(p anliegen.Priority) int64 {
	return int64(4 - p.Rank())
}

// listSort describes one sort order: its ORDER BY, the keyset condition
// that continues after a cursor, and the key of a ticket. Every key ends in
// the id, so keys are unique and a page boundary is exact: rows inserted
// between two page fetches cannot shift later pages, so no ticket is shown
// twice or skipped (a ticket whose sort key changes meanwhile may move).
type listSort struct {
	orderBy string
	after   string // row-value comparison with len(key) parameters
	key     func(t *anliegen.Ticket) []int64
}

var listSorts = map[string]listSort{
	"created_desc": {
		orderBy: `t.created_at DESC, t.id DESC`,
		after:   `(t.created_at, t.id) < (?, ?)`,
		key:     func(t *anliegen.Ticket) []int64 { return []int64{t.CreatedAt.UnixMilli(), t.ID} },
	},
	"created_asc": {
		orderBy: `t.created_at, t.id`,
		after:   `(t.created_at, t.id) > (?, ?)`,
		key:     func(t *anliegen.Ticket) []int64 { return []int64{t.CreatedAt.UnixMilli(), t.ID} },
	},
	"updated_desc": {
		orderBy: `t.updated_at DESC, t.id DESC`,
		after:   `(t.updated_at, t.id) < (?, ?)`,
		key:     func(t *anliegen.Ticket) []int64 { return []int64{t.UpdatedAt.UnixMilli(), t.ID} },
	},
	"priority": {
		orderBy: `t.urgency, t.created_at, t.id`,
		after:   `(t.urgency, t.created_at, t.id) > (?, ?, ?)`,
		key: func(t *anliegen.Ticket) []int64 {
			return []int64{urgencyRank(t.Priority), t.CreatedAt.UnixMilli(), t.ID}
		},
	},
}

// listCursor is what the opaque cursor string holds.
type listCursor struct {
	Sort string  `json:"s"`
	Key  []int64 `json:"k"`
}

func encodeCursor(sort string, key []int64) string {
	b, _ := json.Marshal(listCursor{Sort: sort, Key: key})
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s, sort string, keyLen int) ([]int64, error) {
	bad := anliegen.Invalid("cursor", "not a cursor of this list")
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) > 200 {
		return nil, bad
	}
	var c listCursor
	if err := json.Unmarshal(b, &c); err != nil || c.Sort != sort || len(c.Key) != keyLen {
		return nil, bad
	}
	return c.Key, nil
}

// ListTickets returns one page of tickets matching f within f.Scope. The
// zero scope sees nothing; a department scope sees only its departments'
// tickets (and never unrouted ones). EInvalid names a bad field (statuses,
// priorities, platforms, sort, cursor).
func (db *DB) ListTickets(ctx context.Context, f anliegen.TicketFilter) (anliegen.TicketPage, error) {
	page := anliegen.TicketPage{Items: []anliegen.Ticket{}}
	lq, err := listQuery(&f)
	if err != nil || lq.empty {
		return page, err
	}
	rows, err := db.read().QueryContext(ctx, lq.sql, lq.args...)
	if err != nil {
		return page, fmt.Errorf("list tickets: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var extra []any
		var unread bool
		if f.ViewerID != 0 {
			extra = append(extra, &unread)
		}
		t, err := scanTicket(rows, extra...)
		if err != nil {
			return page, fmt.Errorf("scan ticket: %w", err)
		}
		t.Unread = unread
		page.Items = append(page.Items, t)
	}
	if err := rows.Err(); err != nil {
		return page, fmt.Errorf("list tickets: %w", err)
	}
	if n := lq.limit; len(page.Items) > n {
		page.Items = page.Items[:n]
		page.Next = encodeCursor(f.Sort, lq.sort.key(&page.Items[n-1]))
	}
	return page, nil
}

// listSQL is the query of one ticket page.
type listSQL struct {
	sql   string
	args  []any
	limit int
	sort  listSort
	empty bool // the filter matches nothing; no query needed
}

// listQuery builds the page query for f, filling in f's defaults. It
// fetches limit+1 rows: the extra row says whether there is a next page.
func listQuery(f *anliegen.TicketFilter) (listSQL, error) {
	var lq listSQL
	if f.Sort == "" {
		f.Sort = "created_desc"
	}
	srt, ok := listSorts[f.Sort]
	if !ok {
		return lq, anliegen.Invalid("sort", "must be created_desc, created_asc, updated_desc or priority")
	}
	lq.sort = srt
	lq.limit = f.Limit
	if lq.limit <= 0 {
		lq.limit = 50
	}
	lq.limit = min(lq.limit, 100)
	where, args, empty, err := ticketWhere(*f)
	if err != nil || empty {
		lq.empty = empty
		return lq, err
	}
	if f.Cursor != "" {
		key, err := decodeCursor(f.Cursor, f.Sort, strings.Count(srt.after, "?"))
		if err != nil {
			return lq, err
		}
		where = append(where, srt.after)
		for _, k := range key {
			args = append(args, k)
		}
	}
	q := ticketSelect
	if f.ViewerID != 0 {
		q = ticketColumns + ", " + unreadColumn + ticketFrom
		lq.args = append(lq.args, f.ViewerID)
	}
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	lq.sql = q + " ORDER BY " + srt.orderBy + " LIMIT ?"
	lq.args = append(append(lq.args, args...), lq.limit+1)
	return lq, nil
}

// unreadColumn is true when the ticket has a citizen message newer than the
// viewer's read mark. It reads only the ticket's newest messages through
// index messages_ticket.
const unreadColumn = `EXISTS (SELECT 1 FROM messages m WHERE m.ticket_id = t.id AND m.direction = 'in'
	AND m.id > coalesce((SELECT r.message_id FROM ticket_reads r WHERE r.user_id = ? AND r.ticket_id = t.id), 0))`

// ticketWhere turns f into WHERE terms. empty is true when f can match
// nothing (the zero scope, or departments all outside the scope).
func ticketWhere(f anliegen.TicketFilter) (where []string, args []any, empty bool, err error) {
	depts := f.Departments
	if !f.Scope.All {
		depts = scopeDepartments(f.Scope, f.Departments)
		if len(depts) == 0 {
			return nil, nil, true, nil
		}
	}
	in := func(col string, vals []any) {
		if len(vals) == 1 {
			where = append(where, col+" = ?")
		} else {
			where = append(where, col+" IN ("+placeholders(len(vals))+")")
		}
		args = append(args, vals...)
	}
	// A unary + keeps SQLite from using an index for a term. Without it
	// the planner takes, for "department IN (a, b)" or several statuses,
	// an index on that column and then sorts every matching row (tens of
	// thousands in a large store) for one page. Walking an index in list
	// order and skipping non-matching rows reads about one page instead.
	// Only a single department (and, for the created sorts, a single
	// status) has an index that also yields the order.
	createdSort := f.Sort == "" || f.Sort == "created_desc" || f.Sort == "created_asc"
	if len(depts) == 1 {
		in("t.department", anyStrings(depts))
	} else if len(depts) > 1 {
		in("+t.department", anyStrings(depts))
	}
	if err := checkAll(f.Statuses, anliegen.Status.Valid, "statuses"); err != nil {
		return nil, nil, false, err
	}
	if err := checkAll(f.Priorities, anliegen.Priority.Valid, "priorities"); err != nil {
		return nil, nil, false, err
	}
	if err := checkAll(f.Platforms, anliegen.Platform.Valid, "platforms"); err != nil {
		return nil, nil, false, err
	}
	if len(f.Statuses) == 1 && createdSort {
		in("t.status", anyStrings(f.Statuses))
	} else if len(f.Statuses) > 0 {
		in("+t.status", anyStrings(f.Statuses))
	}
	if len(f.Priorities) > 0 {
		in("t.priority", anyStrings(f.Priorities))
	}
	if len(f.Platforms) > 0 {
		in("t.platform", anyStrings(f.Platforms))
	}
	if len(f.ChannelIDs) > 0 {
		ids := make([]any, len(f.ChannelIDs))
		for i, id := range f.ChannelIDs {
			ids[i] = id
		}
		in("t.channel_id", ids)
	}
	for _, tag := range f.Tags {
		// EXISTS, not "id IN (SELECT ...)": the IN form makes the planner
		// fetch every tagged ticket and sort them; EXISTS probes the
		// ticket_tags key while walking the list order.
		where = append(where, "EXISTS (SELECT 1 FROM ticket_tags tt WHERE tt.tag = ? AND tt.ticket_id = t.id)")
		args = append(args, strings.ToLower(strings.TrimSpace(tag)))
	}
	switch {
	case f.Unassigned:
		where = append(where, "t.assignee_id IS NULL")
	case f.AssigneeID != 0:
		where = append(where, "t.assignee_id = ?")
		args = append(args, f.AssigneeID)
	}
	if f.ContactID != 0 {
		where = append(where, "t.contact_id = ?")
		args = append(args, f.ContactID)
	}
	for _, r := range []struct {
		cond string
		at   int64
		set  bool
	}{
		{"t.created_at >= ?", f.CreatedFrom.UnixMilli(), !f.CreatedFrom.IsZero()},
		{"t.created_at < ?", f.CreatedTo.UnixMilli(), !f.CreatedTo.IsZero()},
		{"t.updated_at >= ?", f.UpdatedFrom.UnixMilli(), !f.UpdatedFrom.IsZero()},
		{"t.updated_at < ?", f.UpdatedTo.UnixMilli(), !f.UpdatedTo.IsZero()},
	} {
		if r.set {
			where = append(where, r.cond)
			args = append(args, r.at)
		}
	}
	return where, args, false, nil
}

// scopeDepartments returns the departments of a restricted scope that the
// filter asks for (all of the scope's when it asks for none).
func scopeDepartments(s anliegen.Scope, want []string) []string {
	var out []string
	for _, d := range s.Departments {
		if d != "" && (len(want) == 0 || slices.Contains(want, d)) && !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	return out
}

func checkAll[T any](vals []T, valid func(T) bool, field string) error {
	for _, v := range vals {
		if !valid(v) {
			return anliegen.Invalid(field, "unknown value %v", v)
		}
	}
	return nil
}
