package storage

import (
	"cmp"
	"context"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/anliegen/anliegen"
)

// listWorld is a store with varied tickets and the users of the scope
// matrix. Tests compare ListTickets with a plain Go model of the filter.
type listWorld struct {
	db      *DB
	fx      *fixture
	tickets []anliegen.Ticket
	users   map[string]anliegen.User
}

var listDepartments = []string{"abfall", "kfz", "umwelt", ""}

func newListWorld(t *testing.T, n int) *listWorld {
	t.Helper()
	db, _ := mustOpenStaff(t)
	w := &listWorld{db: db, fx: newFixture(t, db), users: map[string]anliegen.User{}}
	for _, d := range listDepartments[:3] {
		mustDepartment(t, db, d)
	}
	w.users["admin"] = mustUser(t, db, "admin", anliegen.RoleAdmin)
	w.users["agent"] = mustUser(t, db, "agent", anliegen.RoleAgent)
	w.users["abfall"] = mustUser(t, db, "abfall.user", anliegen.RoleDepartment, "abfall")
	w.users["abfall+kfz"] = mustUser(t, db, "zwei.user", anliegen.RoleDepartment, "abfall", "kfz")
	off := mustUser(t, db, "off.user", anliegen.RoleDepartment, "kfz")
	off.Disabled = true
	if err := db.UpdateUser(context.Background(), &off); err != nil {
		t.Fatal(err)
	}
	w.users["disabled"] = off
	contacts := []int64{w.fx.contact("a"), w.fx.contact("b"), w.fx.contact("c")}
	rng := rand.New(rand.NewPCG(1, 2))
	statuses := []anliegen.Status{"new", "open", "waiting", "resolved", "closed"}
	prios := []anliegen.Priority{"low", "normal", "high", "urgent"}
	platforms := []anliegen.Platform{"mastodon", "email", "facebook"}
	tags := []string{"sperrmuell", "termin", "gefahr"}
	base := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	var specs []ticketSpec
	for i := range n {
		var tt []string
		for _, tag := range tags {
			if rng.IntN(3) == 0 {
				tt = append(tt, tag)
			}
		}
		var assignee int64
		if rng.IntN(2) == 0 {
			assignee = w.users["agent"].ID
		}
		// Every third ticket shares its creation time with the one before,
		// so that the id must break ties in sorting and in cursors.
		created := base.Add(time.Duration(i-i%3/2) * time.Hour)
		specs = append(specs, ticketSpec{
			Department: listDepartments[rng.IntN(4)], Status: statuses[rng.IntN(5)],
			Priority: prios[rng.IntN(4)], Platform: platforms[rng.IntN(3)], Tags: tt, Assignee: assignee,
			Contact: contacts[rng.IntN(3)], Created: created, Updated: created.Add(time.Duration(rng.IntN(500)) * time.Hour),
		})
	}
	w.tickets = w.fx.tickets(specs)
	return w
}

// modelMatch is the reference for what ListTickets must return.
func modelMatch(f anliegen.TicketFilter, t anliegen.Ticket) bool {
	in := func(ok bool, n int) bool { return n == 0 || ok }
	hasTags := true
	for _, tag := range f.Tags {
		hasTags = hasTags && slices.Contains(t.Tags, tag)
	}
	return f.Scope.Allows(t.Department) &&
		in(slices.Contains(f.Departments, t.Department), len(f.Departments)) &&
		in(slices.Contains(f.Statuses, t.Status), len(f.Statuses)) &&
		in(slices.Contains(f.Priorities, t.Priority), len(f.Priorities)) &&
		in(slices.Contains(f.Platforms, t.Platform), len(f.Platforms)) &&
		in(slices.Contains(f.ChannelIDs, t.ChannelID), len(f.ChannelIDs)) &&
		hasTags &&
		(f.AssigneeID == 0 || t.AssigneeID == f.AssigneeID) &&
		(!f.Unassigned || t.AssigneeID == 0) &&
		(f.ContactID == 0 || t.ContactID == f.ContactID) &&
		(f.CreatedFrom.IsZero() || !t.CreatedAt.Before(f.CreatedFrom)) &&
		(f.CreatedTo.IsZero() || t.CreatedAt.Before(f.CreatedTo)) &&
		(f.UpdatedFrom.IsZero() || !t.UpdatedAt.Before(f.UpdatedFrom)) &&
		(f.UpdatedTo.IsZero() || t.UpdatedAt.Before(f.UpdatedTo))
}

func modelCompare(sort string) func(a, b anliegen.Ticket) int {
	switch sort {
	case "created_asc":
		return func(a, b anliegen.Ticket) int {
			return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
		}
	case "updated_desc":
		return func(a, b anliegen.Ticket) int {
			return cmp.Or(b.UpdatedAt.Compare(a.UpdatedAt), cmp.Compare(b.ID, a.ID))
		}
	case "priority":
		return func(a, b anliegen.Ticket) int {
			return cmp.Or(cmp.Compare(b.Priority.Rank(), a.Priority.Rank()), a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
		}
	}
	return func(a, b anliegen.Ticket) int {
		return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), cmp.Compare(b.ID, a.ID))
	}
}

func (w *listWorld) want(f anliegen.TicketFilter) []int64 {
	var ts []anliegen.Ticket
	for _, t := range w.tickets {
		if modelMatch(f, t) {
			ts = append(ts, t)
		}
	}
	slices.SortFunc(ts, modelCompare(f.Sort))
	ids := []int64{}
	for _, t := range ts {
		ids = append(ids, t.ID)
	}
	return ids
}

// listAll pages through f and returns the ids in order.
func listAll(t *testing.T, db *DB, f anliegen.TicketFilter) []int64 {
	t.Helper()
	ids := []int64{}
	for _, tk := range listAllTickets(t, db, f) {
		ids = append(ids, tk.ID)
	}
	return ids
}

func listAllTickets(t *testing.T, db *DB, f anliegen.TicketFilter) []anliegen.Ticket {
	t.Helper()
	var out []anliegen.Ticket
	for page := 0; ; page++ {
		p, err := db.ListTickets(context.Background(), f)
		if err != nil {
			t.Fatalf("page %d: %v", page, err)
		}
		if f.Limit > 0 && len(p.Items) > f.Limit {
			t.Fatalf("page of %d items, limit %d", len(p.Items), f.Limit)
		}
		out = append(out, p.Items...)
		if p.Next == "" {
			return out
		}
		if page > 1000 {
			t.Fatal("no end of pages")
		}
		f.Cursor = p.Next
	}
}

func TestListTicketsScopeMatrix(t *testing.T) {
	w := newListWorld(t, 150)
	filters := []struct {
		name string
		f    anliegen.TicketFilter
	}{
		{"everything", anliegen.TicketFilter{}},
		{"department kfz", anliegen.TicketFilter{Departments: []string{"kfz"}}},
		{"department umwelt", anliegen.TicketFilter{Departments: []string{"umwelt"}}},
		{"abfall and unrouted", anliegen.TicketFilter{Departments: []string{"abfall", ""}}},
		{"open work", anliegen.TicketFilter{Statuses: []anliegen.Status{"new", "open", "waiting"}}},
		{"tag gefahr", anliegen.TicketFilter{Tags: []string{"gefahr"}}},
		{"unassigned by priority", anliegen.TicketFilter{Unassigned: true, Sort: "priority"}},
	}
	for _, who := range []string{"admin", "agent", "abfall", "abfall+kfz", "disabled", "nobody"} {
		for _, ft := range filters {
			t.Run(who+"/"+ft.name, func(t *testing.T) {
				f := ft.f
				if who != "nobody" {
					u := w.users[who]
					f.Scope = anliegen.ScopeOf(&u)
				}
				f.Limit = 20
				tickets := listAllTickets(t, w.db, f)
				got, want := []int64{}, w.want(f)
				for _, tk := range tickets {
					got = append(got, tk.ID)
					// The permission check of single tickets agrees with the list.
					if u, ok := w.users[who]; ok && !anliegen.Can(&u, anliegen.ActionView, tk.Department) {
						t.Fatalf("%s sees ticket %d of %q", who, tk.ID, tk.Department)
					}
				}
				if !slices.Equal(got, want) {
					t.Errorf("got %v\nwant %v", got, want)
				}
				if (who == "disabled" || who == "nobody") && len(got) != 0 {
					t.Errorf("zero scope sees %d tickets", len(got))
				}
			})
		}
	}
}

func TestListTicketsFilters(t *testing.T) {
	w := newListWorld(t, 120)
	mid := w.tickets[60].CreatedAt
	filters := []struct {
		name string
		f    anliegen.TicketFilter
	}{
		{"statuses", anliegen.TicketFilter{Statuses: []anliegen.Status{"resolved"}}},
		{"priorities", anliegen.TicketFilter{Priorities: []anliegen.Priority{"urgent", "high"}}},
		{"platforms", anliegen.TicketFilter{Platforms: []anliegen.Platform{"email"}}},
		{"channels", anliegen.TicketFilter{ChannelIDs: []int64{w.fx.channels["facebook"], w.fx.channels["email"]}}},
		{"all tags", anliegen.TicketFilter{Tags: []string{"termin", "sperrmuell"}}},
		{"assignee", anliegen.TicketFilter{AssigneeID: w.users["agent"].ID}},
		{"unassigned", anliegen.TicketFilter{Unassigned: true}},
		{"contact", anliegen.TicketFilter{ContactID: w.tickets[0].ContactID}},
		{"created range", anliegen.TicketFilter{CreatedFrom: mid.Add(-20 * time.Hour), CreatedTo: mid}},
		{"updated range", anliegen.TicketFilter{UpdatedFrom: mid, UpdatedTo: mid.Add(200 * time.Hour)}},
		{"combined", anliegen.TicketFilter{Departments: []string{"kfz", "abfall"}, Statuses: []anliegen.Status{"new", "open"},
			Priorities: []anliegen.Priority{"normal", "high"}, Unassigned: true}},
	}
	for _, ft := range filters {
		for _, sort := range []string{"", "created_asc", "updated_desc", "priority"} {
			t.Run(ft.name+"/"+sort, func(t *testing.T) {
				f := ft.f
				f.Scope, f.Sort, f.Limit = anliegen.ScopeAll, sort, 17
				got, want := listAll(t, w.db, f), w.want(f)
				if !slices.Equal(got, want) {
					t.Errorf("got %v\nwant %v", got, want)
				}
				if len(want) == 0 {
					t.Errorf("filter matches nothing in the fixture; it proves little")
				}
			})
		}
	}
}

func TestListTicketsFields(t *testing.T) {
	w := newListWorld(t, 5)
	p, err := w.db.ListTickets(context.Background(), anliegen.TicketFilter{Scope: anliegen.ScopeAll, Sort: "created_asc"})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Items) != 5 || p.Next != "" {
		t.Fatalf("%d items, next %q", len(p.Items), p.Next)
	}
	for i, tk := range p.Items {
		want := w.tickets[i]
		if tk.Number == "" || tk.Platform != want.Platform || tk.Kind != anliegen.KindDM || tk.Preview != "Vorschau" ||
			tk.Tags == nil || !slices.Equal(tk.Tags, want.Tags) || tk.Version != 1 {
			t.Errorf("item %d = %+v", i, tk)
		}
		if (tk.AssigneeID != 0) != (tk.Assignee == "agent") {
			t.Errorf("item %d: assignee %d login %q", i, tk.AssigneeID, tk.Assignee)
		}
	}
}

func TestListTicketsInvalid(t *testing.T) {
	w := newListWorld(t, 3)
	ctx := context.Background()
	p, err := w.db.ListTickets(ctx, anliegen.TicketFilter{Scope: anliegen.ScopeAll, Limit: 1})
	if err != nil || p.Next == "" {
		t.Fatalf("first page: %v, next %q", err, p.Next)
	}
	tests := []struct {
		name  string
		f     anliegen.TicketFilter
		field string
	}{
		{"sort", anliegen.TicketFilter{Sort: "random"}, "sort"},
		{"status", anliegen.TicketFilter{Statuses: []anliegen.Status{"offen"}}, "statuses"},
		{"priority", anliegen.TicketFilter{Priorities: []anliegen.Priority{"sofort"}}, "priorities"},
		{"platform", anliegen.TicketFilter{Platforms: []anliegen.Platform{"myspace"}}, "platforms"},
		{"garbage cursor", anliegen.TicketFilter{Cursor: "%%%"}, "cursor"},
		{"cursor of another sort", anliegen.TicketFilter{Cursor: p.Next, Sort: "priority"}, "cursor"},
		{"forged cursor", anliegen.TicketFilter{Cursor: encodeCursor("created_desc", []int64{1})}, "cursor"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.f.Scope = anliegen.ScopeAll
			_, err := w.db.ListTickets(ctx, tt.f)
			wantCode(t, err, anliegen.EInvalid, tt.field)
		})
	}
	for _, limit := range []int{0, -5, 500} {
		p, err := w.db.ListTickets(ctx, anliegen.TicketFilter{Scope: anliegen.ScopeAll, Limit: limit})
		if err != nil || len(p.Items) != 3 {
			t.Errorf("limit %d: %d items, %v", limit, len(p.Items), err)
		}
	}
}

func FuzzTicketCursor(f *testing.F) {
	f.Add(encodeCursor("created_desc", []int64{1764000000000, 5}), "created_desc")
	f.Add("e30", "priority")
	f.Fuzz(func(t *testing.T, s, sort string) {
		// Property: a cursor from outside decodes to a key of exactly the
		// sort's length or is refused with EInvalid on "cursor".
		key, err := decodeCursor(s, sort, 2)
		if err != nil {
			if anliegen.ErrorField(err) != "cursor" {
				t.Fatalf("error %v", err)
			}
			return
		}
		if len(key) != 2 {
			t.Fatalf("key %v", key)
		}
		if again, err := decodeCursor(encodeCursor(sort, key), sort, 2); err != nil || !slices.Equal(again, key) {
			t.Fatalf("round trip %v -> %v, %v", key, again, err)
		}
	})
}

// TestListTicketsCursorUnderInserts pages while other tickets are
// inserted between page fetches, newer and older than the cursor and with
// the cursor's very timestamp: every ticket that existed at the start is
// listed exactly once, and no ticket twice.
func TestListTicketsCursorUnderInserts(t *testing.T) {
	for _, sort := range []string{"created_desc", "created_asc", "priority"} {
		t.Run(sort, func(t *testing.T) {
			w := newListWorld(t, 60)
			ctx := context.Background()
			f := anliegen.TicketFilter{Scope: anliegen.ScopeAll, Sort: sort, Limit: 7}
			before := w.want(f)
			seen := map[int64]int{}
			var mu sync.Mutex
			for page := 0; ; page++ {
				p, err := w.db.ListTickets(ctx, f)
				if err != nil {
					t.Fatal(err)
				}
				for _, tk := range p.Items {
					seen[tk.ID]++
				}
				if p.Next == "" {
					break
				}
				last := p.Items[len(p.Items)-1]
				// Insert concurrently with the next fetch as well as before it.
				var wg sync.WaitGroup
				wg.Go(func() {
					mu.Lock()
					defer mu.Unlock()
					var specs []ticketSpec
					for _, at := range []time.Time{last.CreatedAt, last.CreatedAt.Add(-90 * time.Minute),
						last.CreatedAt.Add(time.Hour), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)} {
						specs = append(specs, ticketSpec{Created: at, Contact: w.tickets[0].ContactID,
							Priority: anliegen.Priority([]string{"low", "urgent"}[page%2])})
					}
					w.fx.tickets(specs)
				})
				if page%2 == 0 {
					wg.Wait()
				}
				f.Cursor = p.Next
				defer wg.Wait()
			}
			for _, id := range before {
				if seen[id] != 1 {
					t.Errorf("ticket %d listed %d times", id, seen[id])
				}
			}
			for id, n := range seen {
				if n > 1 {
					t.Errorf("ticket %d listed %d times", id, n)
				}
			}
		})
	}
}

func TestListTicketsUnread(t *testing.T) {
	db, clk := mustOpenStaff(t)
	ctx := context.Background()
	fx := newFixture(t, db)
	anna := mustUser(t, db, "anna", anliegen.RoleAgent)
	bernd := mustUser(t, db, "bernd", anliegen.RoleAgent)
	tk := fx.ticket(ticketSpec{Messages: 2})
	unread := func(userID int64) bool {
		t.Helper()
		p, err := db.ListTickets(ctx, anliegen.TicketFilter{Scope: anliegen.ScopeAll, ViewerID: userID})
		if err != nil || len(p.Items) != 1 {
			t.Fatalf("list: %v, %d items", err, len(p.Items))
		}
		return p.Items[0].Unread
	}
	steps := []struct {
		name             string
		do               func()
		wantAnna, wantBe bool
	}{
		{"new ticket", func() {}, true, true},
		{"anna reads", func() { must(t, db.MarkRead(ctx, anna.ID, tk.ID)) }, false, true},
		{"anna reads twice", func() { must(t, db.MarkRead(ctx, anna.ID, tk.ID)) }, false, true},
		{"staff note", func() { _, err := db.AddNote(ctx, tk.ID, bernd.ID, "intern"); must(t, err) }, false, true},
		{"staff reply", func() { _, err := db.CreateReply(ctx, tk.ID, bernd.ID, "Antwort"); must(t, err) }, false, true},
		{"citizen writes, dated in the past", func() { fx.inbound(tk, "noch was", tk.CreatedAt.Add(-time.Hour)) }, true, true},
		{"bernd reads", func() { clk.Add(time.Minute); must(t, db.MarkRead(ctx, bernd.ID, tk.ID)) }, true, false},
	}
	for _, s := range steps {
		s.do()
		if got := unread(anna.ID); got != s.wantAnna {
			t.Errorf("%s: anna unread %v, want %v", s.name, got, s.wantAnna)
		}
		if got := unread(bernd.ID); got != s.wantBe {
			t.Errorf("%s: bernd unread %v, want %v", s.name, got, s.wantBe)
		}
	}
	if got := unread(0); got {
		t.Error("no viewer: unread set")
	}
	wantCode(t, db.MarkRead(ctx, anna.ID, 999), anliegen.ENotFound, "")
	wantCode(t, db.MarkRead(ctx, 999, tk.ID), anliegen.ENotFound, "")
}

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}
