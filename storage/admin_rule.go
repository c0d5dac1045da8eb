package storage

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/anliegen/anliegen"
)

// Rules returns all rules, enabled or not, by position.
func (db *DB) Rules(ctx context.Context) ([]anliegen.Rule, error) {
	rows, err := db.read().QueryContext(ctx, `SELECT id, name, position, enabled, keywords, pattern,
		platforms, channel_ids, department, tags, priority FROM rules ORDER BY position, id`)
	if err != nil {
		return nil, fmt.Errorf("list rules: %w", err)
	}
	defer rows.Close()
	out := []anliegen.Rule{}
	for rows.Next() {
		var (
			r                                   anliegen.Rule
			keywords, platforms, channels, tags sql.NullString
			prio                                string
		)
		if err := rows.Scan(&r.ID, &r.Name, &r.Position, &r.Enabled, &keywords, &r.Pattern,
			&platforms, &channels, &r.Department, &tags, &prio); err != nil {
			return nil, fmt.Errorf("scan rule: %w", err)
		}
		r.Priority = anliegen.Priority(prio)
		if err := unmarshalRuleLists(&r, keywords, platforms, channels, tags); err != nil {
			return nil, fmt.Errorf("rule %d: %w", r.ID, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list rules: %w", err)
	}
	return out, nil
}

// CreateRule stores r and sets r.ID and r.Position. Position 0 (or past
// the end) appends; any other position inserts there and moves the later
// rules down, so positions stay 1..n without gaps. EInvalid names the field.
func (db *DB) CreateRule(ctx context.Context, r *anliegen.Rule) error {
	return db.saveRule(ctx, r, true)
}

// UpdateRule stores r under r.ID and moves it to r.Position (0 keeps it at
// the end). ENotFound, EInvalid.
func (db *DB) UpdateRule(ctx context.Context, r *anliegen.Rule) error {
	return db.saveRule(ctx, r, false)
}

func (db *DB) saveRule(ctx context.Context, r *anliegen.Rule, insert bool) error {
	if err := normalizeRule(r); err != nil {
		return err
	}
	if err := r.Validate(); err != nil {
		return err
	}
	return db.write(ctx, func(tx *sql.Tx) error {
		if err := checkRuleRefs(ctx, tx, r); err != nil {
			return err
		}
		args := []any{r.Name, boolInt(r.Enabled), jsonArray(r.Keywords), r.Pattern, jsonArray(r.Platforms),
			jsonArray(r.ChannelIDs), r.Department, jsonArray(r.Tags), string(r.Priority)}
		if insert {
			// Position 1<<30 parks the row past every other until placeRule
			// gives it its place.
			res, err := tx.ExecContext(ctx, `INSERT INTO rules(name, enabled, keywords, pattern, platforms,
				channel_ids, department, tags, priority, position) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1073741824)`, args...)
			if err != nil {
				return dbError(err, "rule")
			}
			if r.ID, err = res.LastInsertId(); err != nil {
				return fmt.Errorf("create rule: %w", err)
			}
		} else {
			res, err := tx.ExecContext(ctx, `UPDATE rules SET name = ?, enabled = ?, keywords = ?, pattern = ?,
				platforms = ?, channel_ids = ?, department = ?, tags = ?, priority = ? WHERE id = ?`, append(args, r.ID)...)
			if err != nil {
				return dbError(err, "rule")
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return anliegen.Errorf(anliegen.ENotFound, "rule not found")
			}
		}
		pos, err := placeRule(ctx, tx, r.ID, r.Position)
		if err != nil {
			return err
		}
		r.Position = pos
		return bumpRulesVersion(ctx, tx)
	})
}

// normalizeRule trims what people type and drops empty keywords, so that
// a stray comma in the admin form does not make a rule match everything.
func normalizeRule(r *anliegen.Rule) error {
	r.Name = strings.TrimSpace(r.Name)
	r.Pattern = strings.TrimSpace(r.Pattern)
	kws := r.Keywords[:0:0]
	for _, k := range r.Keywords {
		if k = strings.TrimSpace(k); k != "" && !slices.Contains(kws, k) {
			kws = append(kws, k)
		}
	}
	r.Keywords = kws
	tags, err := normalizeTags(r.Tags)
	if err != nil {
		return err
	}
	r.Tags = tags
	if r.Position < 0 {
		return anliegen.Invalid("position", "must not be negative")
	}
	return nil
}

// checkRuleRefs checks that the department and channels a rule names exist.
func checkRuleRefs(ctx context.Context, tx *sql.Tx, r *anliegen.Rule) error {
	if r.Department != "" {
		if err := checkDepartments(ctx, tx, "department", r.Department); err != nil {
			return err
		}
	}
	for _, id := range r.ChannelIDs {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM channels WHERE id = ?`, id).Scan(&n); err != nil {
			return fmt.Errorf("check channel: %w", err)
		}
		if n == 0 {
			return anliegen.Invalid("channel_ids", "unknown channel %d", id)
		}
	}
	return nil
}

// placeRule moves rule id to position pos (1-based; 0 or past the end is
// last) and renumbers all rules 1..n; id 0 only renumbers. Rule sets are small (tens), so
// rewriting the positions is simpler than shifting ranges and never leaves
// duplicates or gaps.
func placeRule(ctx context.Context, tx *sql.Tx, id int64, pos int) (int, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, position FROM rules WHERE id <> ? ORDER BY position, id`, id)
	if err != nil {
		return 0, fmt.Errorf("order rules: %w", err)
	}
	var ids, old []int64
	for rows.Next() {
		var rid, p int64
		if err := rows.Scan(&rid, &p); err != nil {
			rows.Close()
			return 0, fmt.Errorf("order rules: %w", err)
		}
		ids, old = append(ids, rid), append(old, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("order rules: %w", err)
	}
	if pos <= 0 || pos > len(ids)+1 {
		pos = len(ids) + 1
	}
	if id != 0 {
		ids = slices.Insert(ids, pos-1, id)
		old = slices.Insert(old, pos-1, -1)
	}
	for i, rid := range ids {
		if old[i] == int64(i+1) {
			continue
		}
		if _, err := tx.ExecContext(ctx, `UPDATE rules SET position = ? WHERE id = ?`, i+1, rid); err != nil {
			return 0, fmt.Errorf("renumber rules: %w", err)
		}
	}
	return pos, nil
}

// DeleteRule removes a rule and closes the gap in positions; ENotFound.
func (db *DB) DeleteRule(ctx context.Context, id int64) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM rules WHERE id = ?`, id)
		if err != nil {
			return fmt.Errorf("delete rule: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return anliegen.Errorf(anliegen.ENotFound, "rule not found")
		}
		if _, err := placeRule(ctx, tx, 0, 0); err != nil {
			return err
		}
		return bumpRulesVersion(ctx, tx)
	})
}
