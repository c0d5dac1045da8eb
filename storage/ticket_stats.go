package storage

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/anliegen/anliegen"
)

var _ anliegen.StatsService = (*DB)(nil)

// maxStatsRange bounds one statistics query; the page shows at most a
// year, and a bound keeps a typo from scanning the whole store.
const maxStatsRange = 366 * 24 * time.Hour

// TicketStats aggregates the tickets created in [from, to) that scope
// allows: counts by UTC day, platform, channel and department, and the
// median and 90th percentile of first-response and resolution times.
// Tickets merged into others are left out: their messages count with the
// target. EInvalid (to) when the range is empty or longer than a year.
func (db *DB) TicketStats(ctx context.Context, scope anliegen.Scope, from, to time.Time) (anliegen.TicketStats, error) {
	st := anliegen.TicketStats{From: from, To: to, ByDay: []anliegen.DayCount{}, ByPlatform: []anliegen.FacetCount{},
		ByChannel: []anliegen.ChannelCount{}, ByDepartment: []anliegen.FacetCount{}}
	if !to.After(from) || to.Sub(from) > maxStatsRange {
		return st, anliegen.Invalid("to", "must be after from and at most a year later")
	}
	where := []string{"t.created_at >= ?", "t.created_at < ?", "t.merged_into IS NULL"}
	args := []any{unixMS(from), unixMS(to)}
	if !scope.All {
		depts := scopeDepartments(scope, nil)
		if len(depts) == 0 {
			return st, nil
		}
		where = append(where, "t.department IN ("+placeholders(len(depts))+")")
		args = append(args, anyStrings(depts)...)
	}
	cond := " WHERE " + strings.Join(where, " AND ")
	tx, err := db.read().BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return st, fmt.Errorf("ticket stats: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only
	if err := statsCounts(ctx, tx, &st, cond, args); err != nil {
		return st, err
	}
	if st.FirstResponse, err = durationStats(ctx, tx, "t.first_response_at", cond, args); err != nil {
		return st, err
	}
	if st.Resolution, err = durationStats(ctx, tx, "t.resolved_at", cond, args); err != nil {
		return st, err
	}
	return st, nil
}

func statsCounts(ctx context.Context, tx *sql.Tx, st *anliegen.TicketStats, cond string, args []any) error {
	err := eachRow(ctx, tx, `SELECT strftime('%Y-%m-%d', t.created_at / 1000, 'unixepoch') AS day, count(*)
		FROM tickets t`+cond+` GROUP BY day ORDER BY day`, args, func(rows *sql.Rows) error {
		var d anliegen.DayCount
		err := rows.Scan(&d.Day, &d.Count)
		st.ByDay = append(st.ByDay, d)
		st.Total += d.Count
		return err
	})
	if err != nil {
		return err
	}
	for _, facet := range []struct {
		col string
		dst *[]anliegen.FacetCount
	}{{"t.platform", &st.ByPlatform}, {"t.department", &st.ByDepartment}} {
		err := eachRow(ctx, tx, `SELECT `+facet.col+`, count(*) AS n FROM tickets t`+cond+
			` GROUP BY 1 ORDER BY n DESC, 1`, args, func(rows *sql.Rows) error {
			var f anliegen.FacetCount
			err := rows.Scan(&f.Term, &f.Count)
			*facet.dst = append(*facet.dst, f)
			return err
		})
		if err != nil {
			return err
		}
	}
	return eachRow(ctx, tx, `SELECT t.channel_id, coalesce(c.name, ''), coalesce(c.platform, ''), count(*) AS n
		FROM tickets t LEFT JOIN channels c ON c.id = t.channel_id`+cond+
		` GROUP BY t.channel_id ORDER BY n DESC, t.channel_id`, args, func(rows *sql.Rows) error {
		var c anliegen.ChannelCount
		var platform string
		err := rows.Scan(&c.ChannelID, &c.Name, &platform, &c.Count)
		c.Platform = anliegen.Platform(platform)
		st.ByChannel = append(st.ByChannel, c)
		return err
	})
}

// durationStats reads col - created_at over the tickets where col is set
// and returns its median and 90th percentile (nearest rank).
func durationStats(ctx context.Context, tx *sql.Tx, col, cond string, args []any) (anliegen.DurationStats, error) {
	var ds []int64
	err := eachRow(ctx, tx, `SELECT `+col+` - t.created_at FROM tickets t`+cond+` AND `+col+` IS NOT NULL`, args,
		func(rows *sql.Rows) error {
			var d int64
			err := rows.Scan(&d)
			ds = append(ds, max(d, 0))
			return err
		})
	if err != nil || len(ds) == 0 {
		return anliegen.DurationStats{}, err
	}
	slices.Sort(ds)
	rank := func(p float64) float64 {
		i := int(math.Ceil(p*float64(len(ds)))) - 1
		return float64(ds[max(i, 0)]) / 1000
	}
	return anliegen.DurationStats{Count: len(ds), MedianSeconds: rank(0.5), P90Seconds: rank(0.9)}, nil
}

func eachRow(ctx context.Context, tx *sql.Tx, q string, args []any, fn func(*sql.Rows) error) error {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("ticket stats: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return fmt.Errorf("ticket stats: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("ticket stats: %w", err)
	}
	return nil
}
