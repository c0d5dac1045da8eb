package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/anliegen/anliegen"
)

// routerCache holds the compiled router of the rules at one rules_version.
type routerCache struct {
	version string
	router  *anliegen.Router
}

// loadRouter returns the router for the current rules, compiling it again
// only when meta.rules_version changed. A missing rules table (a file
// before migration 0002) means no rules.
func (db *DB) loadRouter(ctx context.Context, tx *sql.Tx) (*anliegen.Router, error) {
	v, err := metaGet(ctx, tx, metaRulesVersion)
	if err != nil {
		return nil, err
	}
	db.routerMu.Lock()
	defer db.routerMu.Unlock()
	if db.router.router != nil && db.router.version == v {
		return db.router.router, nil
	}
	rules, err := queryRules(ctx, tx)
	if err != nil {
		return nil, err
	}
	db.router.router = anliegen.NewRouter(rules)
	db.router.version = v
	return db.router.router, nil
}

// queryRules reads the enabled rules in position order.
func queryRules(ctx context.Context, tx *sql.Tx) ([]anliegen.Rule, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, name, position, enabled, keywords, pattern,
		platforms, channel_ids, department, tags, priority
		FROM rules WHERE enabled ORDER BY position, id`)
	if err != nil {
		if isNoSuchTable(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("load rules: %w", err)
	}
	defer rows.Close()
	var rules []anliegen.Rule
	for rows.Next() {
		var (
			r                                   anliegen.Rule
			keywords, platforms, channels, tags sql.NullString
			pattern, dept, prio                 sql.NullString
		)
		if err := rows.Scan(&r.ID, &r.Name, &r.Position, &r.Enabled, &keywords, &pattern,
			&platforms, &channels, &dept, &tags, &prio); err != nil {
			return nil, fmt.Errorf("scan rule: %w", err)
		}
		r.Pattern, r.Department, r.Priority = pattern.String, dept.String, anliegen.Priority(prio.String)
		if err := unmarshalRuleLists(&r, keywords, platforms, channels, tags); err != nil {
			return nil, fmt.Errorf("rule %d: %w", r.ID, err)
		}
		rules = append(rules, r)
	}
	return rules, rows.Err()
}

func unmarshalRuleLists(r *anliegen.Rule, keywords, platforms, channels, tags sql.NullString) error {
	for _, f := range []struct {
		s   sql.NullString
		dst any
	}{{keywords, &r.Keywords}, {platforms, &r.Platforms}, {channels, &r.ChannelIDs}, {tags, &r.Tags}} {
		if !f.s.Valid || f.s.String == "" {
			continue
		}
		if err := json.Unmarshal([]byte(f.s.String), f.dst); err != nil {
			return err
		}
	}
	return nil
}
