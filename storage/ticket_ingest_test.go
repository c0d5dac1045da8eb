package storage

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/anliegen/anliegen"
)

// inquiry is one line of testdata/inquiries-dev.jsonl.
type inquiry struct {
	ID         string            `json:"id"`
	Platform   anliegen.Platform `json:"platform"`
	Kind       anliegen.Kind     `json:"kind"`
	Author     string            `json:"author"`
	Text       string            `json:"text"`
	Department string            `json:"department"`
	Priority   anliegen.Priority `json:"priority"`
}

func loadInquiries(tb testing.TB) []inquiry {
	tb.Helper()
	f, err := os.Open("../testdata/inquiries-dev.jsonl")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out []inquiry
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var q inquiry
		if err := json.Unmarshal(sc.Bytes(), &q); err != nil {
			tb.Fatal(err)
		}
		out = append(out, q)
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

// TestStaffWorkflowOnIngestedTickets runs the front office's day on the
// 400 test inquiries as Ingest stores them: a routing rule files some at
// once, staff route the rest, and every department user then sees exactly
// their department's tickets.
func TestStaffWorkflowOnIngestedTickets(t *testing.T) {
	db, _ := mustOpenStaff(t)
	ctx := context.Background()
	qs := loadInquiries(t)
	depts := map[string]bool{}
	for _, q := range qs {
		if !depts[q.Department] {
			depts[q.Department] = true
			mustDepartment(t, db, q.Department)
		}
	}
	rule := anliegen.Rule{Name: "Sperrmüll", Enabled: true, Keywords: []string{"sperrmüll"}, Department: "abfall", Tags: []string{"sperrmuell"}}
	must(t, db.CreateRule(ctx, &rule))
	agent := mustUser(t, db, "front", anliegen.RoleAgent)

	channels := map[anliegen.Platform]int64{}
	batches := map[int64][]anliegen.Item{}
	base := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	for i, q := range qs {
		ch, ok := channels[q.Platform]
		if !ok {
			ch = newChannel(t, db, q.Platform)
			channels[q.Platform] = ch
		}
		batches[ch] = append(batches[ch], anliegen.Item{ExternalID: q.ID, Kind: q.Kind, ThreadID: "post-" + q.ID,
			Author: anliegen.Author{ExternalID: strings.ToLower(q.Author), Handle: q.Author, Name: q.Author},
			Text:   q.Text, CreatedAt: base.Add(time.Duration(i) * time.Minute)})
	}
	for ch, items := range batches {
		mustIngest(t, db, ch, items, "after-first-poll")
	}

	byTicket := map[int64]anliegen.Ticket{}
	for _, tk := range listAllTickets(t, db, anliegen.TicketFilter{Scope: anliegen.ScopeAll, Limit: 100}) {
		byTicket[tk.ID] = tk
	}
	byExternal := map[string]anliegen.Ticket{}
	rows, err := db.read().QueryContext(ctx, `SELECT ticket_id, external_id FROM messages`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		var ext string
		must(t, rows.Scan(&id, &ext))
		byExternal[ext] = byTicket[id]
	}
	must(t, rows.Err())
	rows.Close()
	if len(byExternal) != len(qs) {
		t.Fatalf("%d tickets for %d inquiries", len(byExternal), len(qs))
	}
	routedByRule := 0
	for _, q := range qs {
		tk := byExternal[q.ID]
		if tk.Department == "abfall" && slices.Contains(tk.Tags, "sperrmuell") {
			routedByRule++
		}
		if tk.Department == q.Department {
			continue
		}
		_, err := db.UpdateTicket(ctx, tk.ID, agent.ID, anliegen.TicketUpdate{
			Department: &q.Department, Priority: &q.Priority, Version: tk.Version})
		if err != nil {
			t.Fatalf("route %s: %v", q.ID, err)
		}
	}
	if routedByRule == 0 {
		t.Error("the Sperrmüll rule routed nothing")
	}

	want := map[string]int{}
	for _, q := range qs {
		want[q.Department]++
	}
	for dept, n := range want {
		u := anliegen.User{Role: anliegen.RoleDepartment, Departments: []string{dept}}
		got := listAllTickets(t, db, anliegen.TicketFilter{Scope: anliegen.ScopeOf(&u), Limit: 100, Sort: "priority"})
		if len(got) != n {
			t.Errorf("department %s sees %d tickets, want %d", dept, len(got), n)
		}
		for i, tk := range got {
			if tk.Department != dept || tk.Preview == "" || !tk.Platform.Valid() || !tk.Kind.Valid() {
				t.Fatalf("department %s sees %+v", dept, tk)
			}
			if i > 0 && tk.Priority.Rank() > got[i-1].Priority.Rank() {
				t.Errorf("priority order broken at %d", i)
			}
		}
	}
	urgent := listAll(t, db, anliegen.TicketFilter{Scope: anliegen.ScopeAll, Priorities: []anliegen.Priority{"urgent"}, Limit: 100})
	wantUrgent := 0
	for _, q := range qs {
		if q.Priority == anliegen.PriorityUrgent {
			wantUrgent++
		}
	}
	if len(urgent) != wantUrgent {
		t.Errorf("%d urgent tickets, want %d", len(urgent), wantUrgent)
	}
}

// A ticket's subject is the mail subject, or the start of its first
// message, cut when read (migration 0005), also after later messages and
// a merge.
func TestTicketSubject(t *testing.T) {
	db := mustOpen(t)
	ctx := context.Background()
	ch := newChannel(t, db, anliegen.PlatformMastodon)
	long := strings.Repeat("Sperrmüll ", 20)
	first := dm("s1", "u1", long, t0)
	mustIngest(t, db, ch, []anliegen.Item{first, dm("s2", "u1", "Noch eine Frage.", t0.Add(time.Minute)),
		dm("s3", "u2", "Laterne defekt.", t0)}, "")
	a, b := ticketOf(t, db, "s1"), ticketOf(t, db, "s3")
	tk, err := db.Ticket(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if want := snippet(long, subjectRunes); tk.Subject != want || tk.Preview != "Noch eine Frage." {
		t.Errorf("subject %q preview %q, want %q and the follow-up", tk.Subject, tk.Preview, want)
	}
	if _, err := db.MergeTickets(ctx, b, a, 0); err != nil {
		t.Fatal(err)
	}
	if tk, _ = db.Ticket(ctx, a); tk.Subject != snippet(long, subjectRunes) {
		t.Errorf("subject after merge %q", tk.Subject)
	}
	mail := newChannel(t, db, anliegen.PlatformEmail)
	m := anliegen.Item{ExternalID: "<x@y>", Kind: anliegen.KindMail, Author: anliegen.Author{ExternalID: "a@b.de"},
		Subject: "Hundesteuer", Text: "Wie hoch ist sie?", CreatedAt: t0}
	mustIngest(t, db, mail, []anliegen.Item{m}, "")
	if tk, _ = db.Ticket(ctx, ticketOf(t, db, "<x@y>")); tk.Subject != "Hundesteuer" {
		t.Errorf("mail subject %q", tk.Subject)
	}
}
