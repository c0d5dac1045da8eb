package anliegen

import (
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Rule routes new tickets. Rules are tried in ascending Position; the first
// that matches sets department, tags and priority. Matching is pure so that
// ingest, the dry-run endpoint and tests agree.
type Rule struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	Position int    `json:"position"`
	Enabled  bool   `json:"enabled"`
	// Keywords match case-insensitively as word prefixes ("sperrmüll" matches
	// "Sperrmülltermin"); any one keyword is enough.
	Keywords []string `json:"keywords,omitempty"`
	// Pattern is an optional regular expression (RE2) matched against the text.
	Pattern string `json:"pattern,omitempty"`
	// Platforms and ChannelIDs restrict the rule; empty means any.
	Platforms  []Platform `json:"platforms,omitempty"`
	ChannelIDs []int64    `json:"channel_ids,omitempty"`
	// What the rule sets. Empty fields leave the ticket as it is.
	Department string   `json:"department,omitempty"`
	Tags       []string `json:"tags,omitempty"`
	Priority   Priority `json:"priority,omitempty"`
}

// Validate reports the first invalid field of r.
func (r *Rule) Validate() error {
	switch {
	case strings.TrimSpace(r.Name) == "":
		return Invalid("name", "must not be empty")
	case len(r.Keywords) == 0 && r.Pattern == "" && len(r.Platforms) == 0 && len(r.ChannelIDs) == 0:
		return Invalid("keywords", "a rule needs keywords, a pattern, platforms or channels")
	case r.Department == "" && len(r.Tags) == 0 && r.Priority == "":
		return Invalid("department", "a rule must set a department, tags or a priority")
	case r.Priority != "" && !r.Priority.Valid():
		return Invalid("priority", "unknown priority %q", r.Priority)
	}
	if r.Pattern != "" {
		if _, err := regexp.Compile(r.Pattern); err != nil {
			return &Error{Code: EInvalid, Field: "pattern", Message: "not a valid regular expression", Err: err}
		}
	}
	for i, p := range r.Platforms {
		if !p.Valid() {
			return Invalid("platforms", "unknown platform %q at %d", p, i)
		}
	}
	return nil
}

// RuleInput is what a rule looks at.
type RuleInput struct {
	Text      string
	Subject   string
	Platform  Platform
	ChannelID int64
}

// Router matches rules against texts. Build it once per rule set: it
// compiles patterns and lower-cases keywords.
type Router struct {
	rules []compiledRule
}

type compiledRule struct {
	Rule
	re       *regexp.Regexp
	keywords []string
}

// NewRouter returns a Router for the enabled rules in order of Position.
// Invalid patterns never match; Validate rejects them before they are saved.
func NewRouter(rules []Rule) *Router {
	rs := slices.Clone(rules)
	slices.SortStableFunc(rs, func(a, b Rule) int { return a.Position - b.Position })
	r := &Router{}
	for _, rule := range rs {
		if !rule.Enabled {
			continue
		}
		c := compiledRule{Rule: rule}
		if rule.Pattern != "" {
			re, err := regexp.Compile(rule.Pattern)
			if err != nil {
				continue
			}
			c.re = re
		}
		for _, k := range rule.Keywords {
			if k = strings.ToLower(strings.TrimSpace(k)); k != "" {
				c.keywords = append(c.keywords, k)
			}
		}
		r.rules = append(r.rules, c)
	}
	return r
}

// Match returns the first rule that matches in, or nil.
func (r *Router) Match(in RuleInput) *Rule {
	var lower string
	for i := range r.rules {
		c := &r.rules[i]
		if len(c.Platforms) > 0 && !slices.Contains(c.Platforms, in.Platform) {
			continue
		}
		if len(c.ChannelIDs) > 0 && !slices.Contains(c.ChannelIDs, in.ChannelID) {
			continue
		}
		text := in.Text
		if in.Subject != "" {
			text = in.Subject + "\n" + in.Text
		}
		if c.re != nil && !c.re.MatchString(text) {
			continue
		}
		if len(c.keywords) > 0 {
			if lower == "" {
				lower = strings.ToLower(text)
			}
			if !slices.ContainsFunc(c.keywords, func(k string) bool { return containsWordPrefix(lower, k) }) {
				continue
			}
		}
		rule := c.Rule
		return &rule
	}
	return nil
}

// containsWordPrefix reports whether kw occurs in s at the start of a word.
// German compounds put the topic first ("Sperrmüllabholung"), so a prefix
// match finds them without matching inside unrelated words.
func containsWordPrefix(s, kw string) bool {
	for i := 0; ; {
		j := strings.Index(s[i:], kw)
		if j < 0 {
			return false
		}
		at := i + j
		if at == 0 || !isWordRune(lastRune(s[:at])) {
			return true
		}
		i = at + 1
		for i < len(s) && !utf8Start(s[i]) {
			i++
		}
	}
}

func lastRune(s string) rune {
	r, _ := utf8.DecodeLastRuneInString(s)
	return r
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }
