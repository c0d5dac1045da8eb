package demo

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"hash/fnv"
	"slices"
	"time"

	"github.com/anliegen/anliegen"
	"github.com/anliegen/anliegen/storage"
)

// OpenTickets is how many of the most recent sample inquiries wait for an
// answer, so that the inbox has work in it. They arrive through the
// simulator and the real Mastodon connector rather than as imported
// history, so that replies to them really leave (imported tickets live on
// hidden channels that no connector serves).
const OpenTickets = 60

// Logins of the demo users.
const (
	AdminLogin = "admin"
	AgentLogin = "agent"
	DeptLogin  = "abfall" // department head of abfall
)

// SeedResult says what Seed created.
type SeedResult struct {
	Tickets int // new tickets imported
	Users   int
}

// Seed fills db with Musterstadt: departments, rules, canned answers, the
// demo users with password, and the sample inquiries as history spread over
// the last 30 days before now. It is idempotent: on a store seeded before it
// adds nothing.
func Seed(ctx context.Context, db *storage.DB, password string, now time.Time) (SeedResult, error) {
	var res SeedResult
	if err := seedAdmin(ctx, db); err != nil {
		return res, err
	}
	users := []anliegen.User{
		{Login: AdminLogin, Name: "Alex Admin", Role: anliegen.RoleAdmin, Lang: "de"},
		{Login: AgentLogin, Name: "Sam Bürgerservice", Role: anliegen.RoleAgent, Lang: "de"},
		{Login: DeptLogin, Name: "Andrea Weber (Abfallwirtschaft)", Role: anliegen.RoleDepartment, Departments: []string{"abfall"}, Lang: "de"},
	}
	for i := range users {
		err := db.CreateUser(ctx, &users[i], password)
		if anliegen.ErrorCode(err) == anliegen.EConflict {
			continue
		}
		if err != nil {
			return res, fmt.Errorf("create demo user %s: %w", users[i].Login, err)
		}
		res.Users++
	}
	recs, err := records(now)
	if err != nil {
		return res, err
	}
	imp, err := db.ImportHistory(ctx, recs[:len(recs)-OpenTickets])
	if err != nil {
		return res, fmt.Errorf("import sample inquiries: %w", err)
	}
	res.Tickets = imp.Imported
	return res, nil
}

// seedAdmin creates departments, rules and canned answers once: a store
// that has departments already is left as its admin made it.
func seedAdmin(ctx context.Context, db *storage.DB) error {
	have, err := db.Departments(ctx)
	if err != nil {
		return fmt.Errorf("list departments: %w", err)
	}
	if len(have) > 0 {
		return nil
	}
	for _, d := range Departments() {
		if err := db.CreateDepartment(ctx, &d); err != nil {
			return fmt.Errorf("create department %s: %w", d.ID, err)
		}
	}
	for _, r := range Rules() {
		if err := db.CreateRule(ctx, &r); err != nil {
			return fmt.Errorf("create rule %s: %w", r.Name, err)
		}
	}
	for _, a := range CannedAnswers() {
		if err := db.CreateCannedAnswer(ctx, &a); err != nil {
			return fmt.Errorf("create canned answer %s: %w", a.Shortcut, err)
		}
	}
	return nil
}

// records parses the embedded inquiries and dates them: spread over the
// 30 days before now in an order drawn from each id's hash (the file's
// order carries no meaning). The last OpenTickets are the newest.
func records(now time.Time) ([]storage.HistoryRecord, error) {
	var recs []storage.HistoryRecord
	err := storage.ReadHistory(bytes.NewReader(inquiries), func(line int, rec storage.HistoryRecord, err error) error {
		if err != nil {
			return fmt.Errorf("embedded inquiries line %d: %w", line, err)
		}
		recs = append(recs, rec)
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(recs, func(a, b storage.HistoryRecord) int {
		return cmp.Compare(hash(a.ID), hash(b.ID))
	})
	span := 30 * 24 * time.Hour
	for i := range recs {
		age := span - time.Duration(i)*span/time.Duration(len(recs))
		recs[i].CreatedAt = now.Add(-age).Truncate(time.Second)
	}
	return recs, nil
}

func hash(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

// Recent returns the OpenTickets newest sample inquiries, which the
// simulator posts before the server starts.
func Recent(now time.Time) ([]storage.HistoryRecord, error) {
	recs, err := records(now)
	if err != nil {
		return nil, err
	}
	return recs[len(recs)-OpenTickets:], nil
}
