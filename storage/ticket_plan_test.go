package storage

import (
	"regexp"
	"strings"
	"testing"

	"github.com/anliegen/anliegen"
)

// TestListTicketsQueryPlans guards the indexes and query shapes that keep
// the ticket list fast at a million messages (docs/BENCHMARKS.md): the
// lists an inbox shows must walk an index in list order, never sort the
// matching rows, so a page costs the same at any depth. The store has no
// ANALYZE statistics, as in production.
func TestListTicketsQueryPlans(t *testing.T) {
	db, _ := mustOpenStaff(t)
	abfall := anliegen.Scope{Departments: []string{"abfall"}}
	two := anliegen.Scope{Departments: []string{"abfall", "kfz"}}
	open := []anliegen.Status{"new", "open", "waiting"}
	tests := []struct {
		name  string
		f     anliegen.TicketFilter
		index string
	}{
		{"everything", anliegen.TicketFilter{Scope: anliegen.ScopeAll}, "tickets_created"},
		{"oldest first", anliegen.TicketFilter{Scope: anliegen.ScopeAll, Sort: "created_asc"}, "tickets_created"},
		{"one department", anliegen.TicketFilter{Scope: abfall}, "tickets_dept_created"},
		{"one department, one status", anliegen.TicketFilter{Scope: abfall, Statuses: []anliegen.Status{"new"}}, "tickets_dept_status_created"},
		{"one department, open work", anliegen.TicketFilter{Scope: abfall, Statuses: open}, "tickets_dept_created"},
		{"two departments, open work", anliegen.TicketFilter{Scope: two, Statuses: open}, "tickets_created"},
		{"one status", anliegen.TicketFilter{Scope: anliegen.ScopeAll, Statuses: []anliegen.Status{"open"}}, "tickets_status_created"},
		{"open work", anliegen.TicketFilter{Scope: anliegen.ScopeAll, Statuses: open}, "tickets_created"},
		{"tag", anliegen.TicketFilter{Scope: anliegen.ScopeAll, Tags: []string{"gefahr"}}, "tickets_created"},
		{"unassigned new", anliegen.TicketFilter{Scope: anliegen.ScopeAll, Unassigned: true, Statuses: []anliegen.Status{"new"}}, "tickets_status_created"},
		{"priority", anliegen.TicketFilter{Scope: anliegen.ScopeAll, Sort: "priority"}, "tickets_urgency_created"},
		{"priority, one department, open work", anliegen.TicketFilter{Scope: abfall, Sort: "priority", Statuses: open}, "tickets_dept_urgency_created"},
		{"updated", anliegen.TicketFilter{Scope: anliegen.ScopeAll, Sort: "updated_desc"}, "tickets_updated"},
		{"updated, one department, open work", anliegen.TicketFilter{Scope: abfall, Sort: "updated_desc", Statuses: open}, "tickets_dept_updated"},
		{"unread marks", anliegen.TicketFilter{Scope: anliegen.ScopeAll, ViewerID: 1}, "tickets_created"},
	}
	for _, tt := range tests {
		for _, cursor := range []bool{false, true} {
			f := tt.f
			if cursor {
				f.Cursor = encodeCursor(cmpOr(f.Sort, "created_desc"), make([]int64, len(listSorts[cmpOr(f.Sort, "created_desc")].key(&anliegen.Ticket{}))))
			}
			plan := explainList(t, db, f)
			uses := regexp.MustCompile(`(SCAN|SEARCH) t USING (COVERING )?INDEX ` + tt.index + `\b`)
			if strings.Contains(plan, "TEMP B-TREE") || !uses.MatchString(plan) || cursor && !strings.Contains(plan, "SEARCH t ") {
				t.Errorf("%s (cursor %v): plan %q, want a walk of %s without sorting, seeking to the cursor", tt.name, cursor, plan, tt.index)
			}
		}
	}
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
