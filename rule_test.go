package anliegen

import "testing"

func TestRouterMatch(t *testing.T) {
	rules := []Rule{
		{ID: 1, Name: "waste", Position: 2, Enabled: true, Keywords: []string{"Sperrmüll", "Müllabfuhr"}, Department: "abfall"},
		{ID: 2, Name: "flood", Position: 1, Enabled: true, Pattern: `(?i)hochwasser|überschwemm`, Department: "katastrophenschutz", Priority: PriorityUrgent},
		{ID: 3, Name: "off", Position: 0, Enabled: false, Keywords: []string{"sperrmüll"}, Department: "presse"},
		{ID: 4, Name: "mail only", Position: 3, Enabled: true, Keywords: []string{"ausweis"}, Platforms: []Platform{PlatformEmail}, Department: "buergeramt"},
	}
	r := NewRouter(rules)
	tests := []struct {
		name string
		in   RuleInput
		want int64
	}{
		{"keyword prefix in compound", RuleInput{Text: "Wann ist der nächste Sperrmülltermin?"}, 1},
		{"keyword not inside a word", RuleInput{Text: "Die Anti-sperrmüll Aktion"}, 1},
		{"no match inside word", RuleInput{Text: "Restsperrmüll"}, 0},
		{"pattern wins by position", RuleInput{Text: "Hochwasser und Sperrmüll im Keller"}, 2},
		{"disabled rule ignored", RuleInput{Text: "sperrmüll"}, 1},
		{"platform restriction", RuleInput{Text: "Ausweis verloren", Platform: PlatformFacebook}, 0},
		{"platform match", RuleInput{Text: "Ausweis verloren", Platform: PlatformEmail}, 4},
		{"subject counts", RuleInput{Subject: "Müllabfuhr", Text: "siehe Betreff"}, 1},
		{"after multibyte", RuleInput{Text: "äsperrmüll"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := r.Match(tt.in)
			var id int64
			if got != nil {
				id = got.ID
			}
			if id != tt.want {
				t.Fatalf("Match = rule %d, want %d", id, tt.want)
			}
		})
	}
}

func TestRuleValidate(t *testing.T) {
	tests := []struct {
		rule  Rule
		field string
	}{
		{Rule{Name: "", Keywords: []string{"x"}, Department: "a"}, "name"},
		{Rule{Name: "n", Department: "a"}, "keywords"},
		{Rule{Name: "n", Keywords: []string{"x"}}, "department"},
		{Rule{Name: "n", Pattern: "(", Department: "a"}, "pattern"},
		{Rule{Name: "n", Keywords: []string{"x"}, Priority: "asap"}, "priority"},
		{Rule{Name: "n", Keywords: []string{"x"}, Department: "a"}, ""},
	}
	for _, tt := range tests {
		if got := ErrorField(tt.rule.Validate()); got != tt.field {
			t.Errorf("Validate(%+v) field = %q, want %q", tt.rule, got, tt.field)
		}
	}
}

func TestCanAgreesWithScope(t *testing.T) {
	users := []*User{
		nil,
		{Role: RoleAdmin},
		{Role: RoleAgent},
		{Role: RoleDepartment, Departments: []string{"abfall"}},
		{Role: RoleDepartment, Departments: []string{"abfall", "kfz"}},
		{Role: RoleAdmin, Disabled: true},
	}
	for _, u := range users {
		depts, all := DepartmentScope(u)
		for _, d := range []string{"", "abfall", "kfz", "presse"} {
			scoped := all
			for _, x := range depts {
				scoped = scoped || x == d
			}
			if got := Can(u, ActionView, d); got != scoped {
				t.Errorf("user %+v dept %q: Can=%v, scope says %v", u, d, got, scoped)
			}
		}
	}
	if Can(&User{Role: RoleAgent}, ActionAdmin, "") {
		t.Error("agent may administer")
	}
	if Can(&User{Role: RoleDepartment, Departments: []string{"abfall"}}, ActionMerge, "abfall") {
		t.Error("department user may merge")
	}
}
