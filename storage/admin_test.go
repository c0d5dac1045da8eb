package storage

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	"github.com/anliegen/anliegen"
)

func TestDepartments(t *testing.T) {
	db, _ := mustOpenStaff(t)
	ctx := context.Background()
	tests := []struct {
		name  string
		dept  anliegen.Department
		code  string
		field string
	}{
		{"ok", anliegen.Department{ID: "abfall", Name: "Abfallwirtschaft"}, "", ""},
		{"second", anliegen.Department{ID: "kfz", Name: "Kfz-Zulassung"}, "", ""},
		{"duplicate id", anliegen.Department{ID: "abfall", Name: "Noch einmal"}, anliegen.EConflict, "id"},
		{"bad id", anliegen.Department{ID: "Abfall Amt", Name: "x"}, anliegen.EInvalid, "id"},
		{"empty name", anliegen.Department{ID: "bau", Name: "  "}, anliegen.EInvalid, "name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := tt.dept
			err := db.CreateDepartment(ctx, &d)
			if tt.code == "" && err != nil {
				t.Fatal(err)
			}
			if tt.code != "" {
				wantCode(t, err, tt.code, tt.field)
			}
		})
	}
	if err := db.UpdateDepartment(ctx, &anliegen.Department{ID: "abfall", Name: "Abfall und Stadtreinigung"}); err != nil {
		t.Fatal(err)
	}
	wantCode(t, db.UpdateDepartment(ctx, &anliegen.Department{ID: "gibtsnicht", Name: "x"}), anliegen.ENotFound, "")
	ds, err := db.Departments(ctx)
	if err != nil || len(ds) != 2 || ds[0].Name != "Abfall und Stadtreinigung" || ds[1].ID != "kfz" {
		t.Fatalf("Departments = %+v, %v", ds, err)
	}

	// A department in use cannot be deleted, whatever uses it.
	u := mustUser(t, db, "bernd", anliegen.RoleDepartment, "kfz")
	wantCode(t, db.DeleteDepartment(ctx, "kfz"), anliegen.EConflict, "")
	u.Role, u.Departments = anliegen.RoleAgent, nil
	if err := db.UpdateUser(ctx, &u); err != nil {
		t.Fatal(err)
	}
	r := anliegen.Rule{Name: "Zulassung", Enabled: true, Keywords: []string{"zulassung"}, Department: "kfz"}
	if err := db.CreateRule(ctx, &r); err != nil {
		t.Fatal(err)
	}
	wantCode(t, db.DeleteDepartment(ctx, "kfz"), anliegen.EConflict, "")
	if err := db.DeleteRule(ctx, r.ID); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteDepartment(ctx, "kfz"); err != nil {
		t.Fatalf("delete unused department: %v", err)
	}
	wantCode(t, db.DeleteDepartment(ctx, "kfz"), anliegen.ENotFound, "")
}

func TestRules(t *testing.T) {
	db, _ := mustOpenStaff(t)
	ctx := context.Background()
	mustDepartment(t, db, "abfall")
	version := func() string {
		t.Helper()
		v, err := metaGet(ctx, db.read(), metaRulesVersion)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	invalid := []struct {
		name  string
		rule  anliegen.Rule
		field string
	}{
		{"no name", anliegen.Rule{Keywords: []string{"a"}, Department: "abfall"}, "name"},
		{"matches everything", anliegen.Rule{Name: "x", Keywords: []string{" ", ""}, Department: "abfall"}, "keywords"},
		{"sets nothing", anliegen.Rule{Name: "x", Keywords: []string{"a"}}, "department"},
		{"bad pattern", anliegen.Rule{Name: "x", Pattern: "(", Department: "abfall"}, "pattern"},
		{"bad platform", anliegen.Rule{Name: "x", Platforms: []anliegen.Platform{"myspace"}, Department: "abfall"}, "platforms"},
		{"bad priority", anliegen.Rule{Name: "x", Keywords: []string{"a"}, Priority: "sofort"}, "priority"},
		{"unknown department", anliegen.Rule{Name: "x", Keywords: []string{"a"}, Department: "kfz"}, "department"},
		{"unknown channel", anliegen.Rule{Name: "x", ChannelIDs: []int64{42}, Department: "abfall"}, "channel_ids"},
		{"bad tag", anliegen.Rule{Name: "x", Keywords: []string{"a"}, Tags: []string{"a,b"}}, "tags"},
		{"negative position", anliegen.Rule{Name: "x", Keywords: []string{"a"}, Department: "abfall", Position: -1}, "position"},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.rule
			wantCode(t, db.CreateRule(ctx, &r), anliegen.EInvalid, tt.field)
		})
	}
	if v := version(); v != "" {
		t.Errorf("rules_version %q after failed creates", v)
	}

	mk := func(name string, pos int) anliegen.Rule {
		t.Helper()
		r := anliegen.Rule{Name: name, Enabled: true, Keywords: []string{name}, Department: "abfall", Position: pos,
			Tags: []string{" Müll ", "müll"}}
		if err := db.CreateRule(ctx, &r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	order := func() string {
		t.Helper()
		rs, err := db.Rules(ctx)
		if err != nil {
			t.Fatal(err)
		}
		s := ""
		for i, r := range rs {
			if r.Position != i+1 {
				t.Errorf("rule %s at position %d, index %d", r.Name, r.Position, i)
			}
			s += r.Name
		}
		return s
	}
	a := mk("a", 0)
	mk("b", 0)
	c := mk("c", 1)
	if c.Position != 1 || order() != "cab" {
		t.Fatalf("order %q, c at %d", order(), c.Position)
	}
	v1 := version()
	a.Position = 3
	a.Enabled = false
	if err := db.UpdateRule(ctx, &a); err != nil {
		t.Fatal(err)
	}
	if order() != "cba" || version() == v1 {
		t.Errorf("after move: order %q, version %s -> %s", order(), v1, version())
	}
	rs, _ := db.Rules(ctx)
	if got := rs[2]; got.Enabled || len(got.Tags) != 1 || got.Tags[0] != "müll" {
		t.Errorf("stored rule %+v", got)
	}
	v2 := version()
	if err := db.DeleteRule(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if order() != "ba" || version() == v2 {
		t.Errorf("after delete: order %q", order())
	}
	wantCode(t, db.DeleteRule(ctx, c.ID), anliegen.ENotFound, "")
	c.Name = "c2"
	wantCode(t, db.UpdateRule(ctx, &c), anliegen.ENotFound, "")

	// Ingest's router sees the enabled rules only.
	err := db.write(ctx, func(tx *sql.Tx) error {
		router, err := db.loadRouter(ctx, tx)
		if err != nil {
			return err
		}
		if m := router.Match(anliegen.RuleInput{Text: "a b"}); m == nil || m.Name != "b" {
			t.Errorf("router matched %+v, want rule b", m)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestCannedAnswers(t *testing.T) {
	db, _ := mustOpenStaff(t)
	ctx := context.Background()
	mustDepartment(t, db, "abfall")
	mustDepartment(t, db, "kfz")
	for _, a := range []anliegen.CannedAnswer{
		{Title: "Danke", Shortcut: "danke", Text: "Vielen Dank für Ihre Nachricht."},
		{Title: "Sperrmüll", Shortcut: "sperr", Text: "Sperrmüll melden Sie online.", Department: "abfall"},
		{Title: "Zulassung", Text: "Termine unter musterstadt.de/kfz.", Department: "kfz"},
	} {
		if err := db.CreateCannedAnswer(ctx, &a); err != nil {
			t.Fatal(err)
		}
	}
	invalid := []struct {
		name   string
		answer anliegen.CannedAnswer
		code   string
		field  string
	}{
		{"no title", anliegen.CannedAnswer{Text: "x"}, anliegen.EInvalid, "title"},
		{"no text", anliegen.CannedAnswer{Title: "x"}, anliegen.EInvalid, "text"},
		{"bad shortcut", anliegen.CannedAnswer{Title: "x", Text: "x", Shortcut: "Mit Leerzeichen"}, anliegen.EInvalid, "shortcut"},
		{"unknown department", anliegen.CannedAnswer{Title: "x", Text: "x", Department: "bau"}, anliegen.EInvalid, "department"},
		{"shortcut taken", anliegen.CannedAnswer{Title: "x", Text: "x", Shortcut: "danke", Department: "kfz"}, anliegen.EConflict, "shortcut"},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			a := tt.answer
			wantCode(t, db.CreateCannedAnswer(ctx, &a), tt.code, tt.field)
		})
	}
	scopes := []struct {
		name  string
		scope anliegen.Scope
		want  string
	}{
		{"all", anliegen.ScopeAll, "Danke,Sperrmüll,Zulassung"},
		{"abfall", anliegen.Scope{Departments: []string{"abfall"}}, "Danke,Sperrmüll"},
		{"kfz", anliegen.Scope{Departments: []string{"kfz"}}, "Danke,Zulassung"},
		{"zero", anliegen.Scope{}, ""},
	}
	for _, tt := range scopes {
		t.Run("scope "+tt.name, func(t *testing.T) {
			as, err := db.CannedAnswers(ctx, tt.scope)
			if err != nil {
				t.Fatal(err)
			}
			var titles []string
			for _, a := range as {
				titles = append(titles, a.Title)
			}
			if got := strings.Join(titles, ","); got != tt.want {
				t.Errorf("titles %q, want %q", got, tt.want)
			}
		})
	}
	as, _ := db.CannedAnswers(ctx, anliegen.ScopeAll)
	a := as[0]
	a.Text = "Herzlichen Dank!"
	if err := db.UpdateCannedAnswer(ctx, &a); err != nil {
		t.Fatal(err)
	}
	a.ID = 999
	wantCode(t, db.UpdateCannedAnswer(ctx, &a), anliegen.ENotFound, "")
	wantCode(t, db.DeleteCannedAnswer(ctx, 999), anliegen.ENotFound, "")
	if err := db.DeleteCannedAnswer(ctx, as[1].ID); err != nil {
		t.Fatal(err)
	}
	as, _ = db.CannedAnswers(ctx, anliegen.ScopeAll)
	if len(as) != 2 || as[0].Text != "Herzlichen Dank!" {
		t.Errorf("after update and delete: %+v", as)
	}
}
