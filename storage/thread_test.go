package storage

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/anliegen/anliegen"
)

// threadStep is one step of a threading case: ingest an item, or resolve
// (or close) the ticket of an earlier item at a time.
type threadStep struct {
	item    *anliegen.Item
	resolve string // external id whose ticket is resolved at `at`
	close   bool
	at      time.Time
}

func step(it anliegen.Item) threadStep { return threadStep{item: &it} }

func resolveAt(ext string, at time.Time) threadStep { return threadStep{resolve: ext, at: at} }

func comment(id, post, author, text string, at time.Time) anliegen.Item {
	return anliegen.Item{ExternalID: id, Kind: anliegen.KindComment, ThreadID: post, ParentID: post,
		Author: anliegen.Author{ExternalID: author}, Text: text, CreatedAt: at}
}

func mail(id, parent string, refs []string, from, text string, at time.Time) anliegen.Item {
	return anliegen.Item{ExternalID: id, Kind: anliegen.KindMail, ParentID: parent, References: refs,
		Author: anliegen.Author{ExternalID: from}, Subject: "Anfrage", Text: text, CreatedAt: at}
}

func TestThreading(t *testing.T) {
	day := 24 * time.Hour
	ours := func(it anliegen.Item) anliegen.Item {
		it.FromUs, it.Author = true, anliegen.Author{Name: "Stadt"}
		return it
	}
	for _, c := range []struct {
		name  string
		steps []threadStep
		// groups maps each stored external id to a label: equal labels
		// mean the same ticket.
		groups map[string]string
		status map[string]anliegen.Status // by external id: its ticket's status at the end
		absent []string                   // not stored
	}{
		{
			name:   "dm conversation",
			steps:  []threadStep{step(withThread(dm("a1", "u1", "Hallo", t0), "conv1")), step(withThread(dm("a2", "u1", "Noch da?", t0.Add(time.Hour)), "conv1")), step(withThread(dm("b1", "u2", "Andere", t0), "conv2"))},
			groups: map[string]string{"a1": "A", "a2": "A", "b1": "B"},
		},
		{
			name:   "dm without thread id groups by author",
			steps:  []threadStep{step(dm("a1", "u1", "eins", t0)), step(dm("a2", "u1", "zwei", t0.Add(time.Minute))), step(dm("b1", "u2", "drei", t0))},
			groups: map[string]string{"a1": "A", "a2": "A", "b1": "B"},
		},
		{
			name:   "dm reopens within 14 days",
			steps:  []threadStep{step(dm("a1", "u1", "eins", t0)), resolveAt("a1", t0.Add(day)), step(dm("a2", "u1", "doch noch", t0.Add(14*day)))},
			groups: map[string]string{"a1": "A", "a2": "A"},
			status: map[string]anliegen.Status{"a2": anliegen.StatusOpen},
		},
		{
			name:   "dm after 14 days starts a new ticket",
			steps:  []threadStep{step(dm("a1", "u1", "eins", t0)), resolveAt("a1", t0.Add(day)), step(dm("a2", "u1", "neues Thema", t0.Add(16*day)))},
			groups: map[string]string{"a1": "A", "a2": "B"},
			status: map[string]anliegen.Status{"a1": anliegen.StatusResolved, "a2": anliegen.StatusNew},
		},
		{
			name: "dm after a closed ticket",
			steps: []threadStep{step(dm("a1", "u1", "eins", t0)), {resolve: "a1", close: true, at: t0.Add(day)},
				step(dm("a2", "u1", "zwei", t0.Add(2*day)))},
			groups: map[string]string{"a1": "A", "a2": "A"},
			status: map[string]anliegen.Status{"a1": anliegen.StatusOpen},
		},
		{
			name: "comments: one ticket per citizen per post",
			steps: []threadStep{step(comment("c1", "post1", "u1", "Frage", t0)), step(comment("c2", "post1", "u2", "Ich auch", t0)),
				step(comment("c3", "post1", "u1", "Nachtrag", t0.Add(time.Hour))), step(comment("c4", "post2", "u1", "Anderer Post", t0))},
			groups: map[string]string{"c1": "A", "c2": "B", "c3": "A", "c4": "C"},
		},
		{
			name: "comment reopen rule",
			steps: []threadStep{step(comment("c1", "post1", "u1", "Frage", t0)), resolveAt("c1", t0.Add(day)),
				step(comment("c2", "post1", "u1", "Danke, aber...", t0.Add(3*day))), resolveAt("c2", t0.Add(4*day)),
				step(comment("c3", "post1", "u1", "Monate später", t0.Add(60*day)))},
			groups: map[string]string{"c1": "A", "c2": "A", "c3": "B"},
		},
		{
			name: "mail threads by In-Reply-To and References",
			steps: []threadStep{step(mail("<m1@x>", "", nil, "anna@x.de", "Erste Mail", t0)),
				step(mail("<m2@x>", "<m1@x>", []string{"<m1@x>"}, "anna@x.de", "Antwort", t0.Add(time.Hour))),
				// parent unknown (our reply), but an earlier message is in References
				step(mail("<m3@x>", "<ours@stadt>", []string{"<m1@x>", "<ours@stadt>"}, "anna@x.de", "Noch eine", t0.Add(2*time.Hour))),
				step(mail("<m4@x>", "", nil, "anna@x.de", "Neues Thema", t0.Add(3*time.Hour)))},
			groups: map[string]string{"<m1@x>": "A", "<m2@x>": "A", "<m3@x>": "A", "<m4@x>": "B"},
		},
		{
			name: "our own messages join the ticket or are left out",
			steps: []threadStep{step(comment("c1", "post1", "u1", "Frage", t0)),
				step(ours(anliegen.Item{ExternalID: "r1", Kind: anliegen.KindComment, ThreadID: "post1", ParentID: "c1", Text: "Antwort", CreatedAt: t0.Add(time.Hour)})),
				step(ours(anliegen.Item{ExternalID: "r2", Kind: anliegen.KindComment, ThreadID: "post9", ParentID: "zz", Text: "woanders", CreatedAt: t0}))},
			groups: map[string]string{"c1": "A", "r1": "A"},
			absent: []string{"r2"},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			db := mustOpen(t)
			ch := newChannel(t, db, anliegen.PlatformMastodon)
			for _, s := range c.steps {
				if s.item != nil {
					mustIngest(t, db, ch, []anliegen.Item{*s.item}, "")
					continue
				}
				status := "resolved"
				if s.close {
					status = "closed"
				}
				if _, err := db.w.Exec(`UPDATE tickets SET status = ?, resolved_at = ?, updated_at = ?
					WHERE id = (SELECT ticket_id FROM messages WHERE external_id = ?)`, status, unixMS(s.at), unixMS(s.at), s.resolve); err != nil {
					t.Fatal(err)
				}
			}
			tickets := map[string]int64{}
			byLabel := map[string]int64{}
			for ext, label := range c.groups {
				var id int64
				if err := db.read().QueryRow(`SELECT ticket_id FROM messages WHERE external_id = ?`, ext).Scan(&id); err != nil {
					t.Fatalf("%s: %v", ext, err)
				}
				tickets[ext] = id
				if prev, ok := byLabel[label]; ok && prev != id {
					t.Errorf("%s in ticket %d, want %d (group %s)", ext, id, prev, label)
				}
				byLabel[label] = id
			}
			seen := map[int64]string{}
			for label, id := range byLabel {
				if other, ok := seen[id]; ok {
					t.Errorf("groups %s and %s share ticket %d", label, other, id)
				}
				seen[id] = label
			}
			if n := countRows(t, db, `SELECT count(*) FROM tickets`); n != len(byLabel) {
				t.Errorf("%d tickets, want %d", n, len(byLabel))
			}
			for ext, want := range c.status {
				var got string
				if err := db.read().QueryRow(`SELECT status FROM tickets WHERE id = ?`, tickets[ext]).Scan(&got); err != nil || got != string(want) {
					t.Errorf("status of %s's ticket = %q, %v; want %q", ext, got, err, want)
				}
			}
			for _, ext := range c.absent {
				if n := countRows(t, db, `SELECT count(*) FROM messages WHERE external_id = ?`, ext); n != 0 {
					t.Errorf("%s stored", ext)
				}
			}
		})
	}
}

func withThread(it anliegen.Item, thread string) anliegen.Item {
	it.ThreadID = thread
	return it
}

func TestReopenEvent(t *testing.T) {
	db := mustOpen(t)
	ch := newChannel(t, db, anliegen.PlatformWhatsApp)
	mustIngest(t, db, ch, []anliegen.Item{dm("a1", "u1", "eins", t0)}, "")
	if _, err := db.w.Exec(`UPDATE tickets SET status = 'resolved', resolved_at = ?`, unixMS(t0.Add(time.Hour))); err != nil {
		t.Fatal(err)
	}
	mustIngest(t, db, ch, []anliegen.Item{dm("a2", "u1", "zwei", t0.Add(2*time.Hour))}, "")
	var data string
	if err := db.read().QueryRow(`SELECT data FROM events WHERE type = 'ticket.updated'`).Scan(&data); err != nil {
		t.Fatal(err)
	}
	var d map[string]string
	if err := json.Unmarshal([]byte(data), &d); err != nil || d["status"] != "open" || d["prev_status"] != "resolved" {
		t.Errorf("reopen event data %s", data)
	}
}

func TestMergedTicketForwards(t *testing.T) {
	db := mustOpen(t)
	ch := newChannel(t, db, anliegen.PlatformMastodon)
	mustIngest(t, db, ch, []anliegen.Item{dm("a1", "u1", "eins", t0), dm("b1", "u2", "zwei", t0)}, "")
	var a, b int64
	db.read().QueryRow(`SELECT ticket_id FROM messages WHERE external_id = 'a1'`).Scan(&a)
	db.read().QueryRow(`SELECT ticket_id FROM messages WHERE external_id = 'b1'`).Scan(&b)
	if _, err := db.w.Exec(`UPDATE tickets SET merged_into = ?, status = 'closed' WHERE id = ?`, b, a); err != nil {
		t.Fatal(err)
	}
	mustIngest(t, db, ch, []anliegen.Item{dm("a2", "u1", "drei", t0.Add(time.Hour))}, "")
	var got int64
	db.read().QueryRow(`SELECT ticket_id FROM messages WHERE external_id = 'a2'`).Scan(&got)
	if got != b {
		t.Errorf("message for a merged ticket went to %d, want %d", got, b)
	}
}

func TestRouting(t *testing.T) {
	db := mustOpen(t)
	ctx := context.Background()
	ch := newChannel(t, db, anliegen.PlatformFacebook)
	for _, d := range []anliegen.Department{{ID: "abfall", Name: "Abfallwirtschaft"}, {ID: "ordnung", Name: "Ordnungsamt"}} {
		if err := db.CreateDepartment(ctx, &d); err != nil {
			t.Fatal(err)
		}
	}
	rule := &anliegen.Rule{Name: "Sperrmüll", Enabled: true, Keywords: []string{"sperrmüll"}, Department: "abfall",
		Tags: []string{"sperrmuell"}, Priority: anliegen.PriorityHigh}
	if err := db.CreateRule(ctx, rule); err != nil {
		t.Fatal(err)
	}
	mustIngest(t, db, ch, []anliegen.Item{dm("a1", "u1", "Wann ist der nächste Sperrmülltermin?", t0), dm("b1", "u2", "Ein Hund bellt", t0)}, "")
	check := func(ext, dept, prio, tags string, ruleID int64) {
		t.Helper()
		var gotDept, gotPrio, gotTags, data string
		err := db.read().QueryRow(`SELECT t.department, t.priority, t.tags, e.data FROM messages m
			JOIN tickets t ON t.id = m.ticket_id JOIN events e ON e.ticket_id = t.id AND e.type = 'ticket.created'
			WHERE m.external_id = ?`, ext).Scan(&gotDept, &gotPrio, &gotTags, &data)
		if err != nil {
			t.Fatal(err)
		}
		var dec routeDecision
		if err := json.Unmarshal([]byte(data), &dec); err != nil {
			t.Fatal(err)
		}
		if gotDept != dept || gotPrio != prio || gotTags != tags || dec.RuleID != ruleID || dec.Number == "" {
			t.Errorf("%s: dept %q prio %q tags %s decision %+v", ext, gotDept, gotPrio, gotTags, dec)
		}
		if ruleID != 0 && dec.RuleName == "" {
			t.Errorf("%s: rule name missing in %s", ext, data)
		}
	}
	check("a1", "abfall", "high", `["sperrmuell"]`, rule.ID)
	check("b1", "", "normal", `[]`, 0)
	// A rule change is seen by the next ingest (rules_version).
	r2 := &anliegen.Rule{Name: "Hunde", Enabled: true, Keywords: []string{"hund"}, Department: "ordnung"}
	if err := db.CreateRule(ctx, r2); err != nil {
		t.Fatal(err)
	}
	mustIngest(t, db, ch, []anliegen.Item{dm("c1", "u3", "Hund ohne Leine", t0)}, "")
	check("c1", "ordnung", "normal", `[]`, r2.ID)
}
