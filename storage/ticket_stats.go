package storage

import (
	"cmp"
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
	tx, err := db.read().BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return st, fmt.Errorf("ticket stats: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only
	// One pass over the tickets, aggregated here: a GROUP BY per figure
	// read the same rows six times (a year of a large town: 6.6 s against
	// 1.4 s in one pass, docs/BENCHMARKS.md).
	var (
		agg                 statsAgg
		created, channel    int64
		platform, dept      string
		firstResp, resolved sql.NullInt64
	)
	agg.init()
	err = eachRow(ctx, tx, `SELECT t.created_at, t.platform, t.channel_id, t.department, t.first_response_at, t.resolved_at
		FROM tickets t WHERE `+strings.Join(where, " AND "), args, func(rows *sql.Rows) error {
		if err := rows.Scan(&created, &platform, &channel, &dept, &firstResp, &resolved); err != nil {
			return err
		}
		agg.add(created, platform, channel, dept, firstResp, resolved)
		return nil
	})
	if err != nil {
		return st, err
	}
	names, err := channelNames(ctx, tx)
	if err != nil {
		return st, err
	}
	agg.fill(&st, names)
	return st, nil
}

// statsAgg accumulates TicketStats over ticket rows.
type statsAgg struct {
	days                  map[int64]int // UTC day number → count
	platforms, depts      map[string]int
	channels              map[int64]int
	firstResp, resolution []int64 // milliseconds
}

func (a *statsAgg) init() {
	a.days, a.platforms, a.depts, a.channels = map[int64]int{}, map[string]int{}, map[string]int{}, map[int64]int{}
}

const msPerDay = 24 * 60 * 60 * 1000

func (a *statsAgg) add(created int64, platform string, channel int64, dept string, firstResp, resolved sql.NullInt64) {
	a.days[created/msPerDay]++
	a.platforms[platform]++
	a.depts[dept]++
	a.channels[channel]++
	if firstResp.Valid {
		a.firstResp = append(a.firstResp, max(firstResp.Int64-created, 0))
	}
	if resolved.Valid {
		a.resolution = append(a.resolution, max(resolved.Int64-created, 0))
	}
}

func (a *statsAgg) fill(st *anliegen.TicketStats, names map[int64]anliegen.ChannelCount) {
	for day, n := range a.days {
		st.ByDay = append(st.ByDay, anliegen.DayCount{Day: time.UnixMilli(day * msPerDay).UTC().Format("2006-01-02"), Count: n})
		st.Total += n
	}
	slices.SortFunc(st.ByDay, func(x, y anliegen.DayCount) int { return strings.Compare(x.Day, y.Day) })
	st.ByPlatform = facetCounts(a.platforms)
	st.ByDepartment = facetCounts(a.depts)
	for id, n := range a.channels {
		c := names[id]
		c.ChannelID, c.Count = id, n
		st.ByChannel = append(st.ByChannel, c)
	}
	slices.SortFunc(st.ByChannel, func(x, y anliegen.ChannelCount) int {
		return cmp.Or(cmp.Compare(y.Count, x.Count), cmp.Compare(x.ChannelID, y.ChannelID))
	})
	st.FirstResponse = durationStats(a.firstResp)
	st.Resolution = durationStats(a.resolution)
}

// facetCounts returns counts most first, ties by term.
func facetCounts(m map[string]int) []anliegen.FacetCount {
	out := []anliegen.FacetCount{}
	for term, n := range m {
		out = append(out, anliegen.FacetCount{Term: term, Count: n})
	}
	slices.SortFunc(out, func(x, y anliegen.FacetCount) int {
		return cmp.Or(cmp.Compare(y.Count, x.Count), strings.Compare(x.Term, y.Term))
	})
	return out
}

// channelNames returns the name and platform of every channel, hidden
// import channels included, since their tickets count too.
func channelNames(ctx context.Context, tx *sql.Tx) (map[int64]anliegen.ChannelCount, error) {
	names := map[int64]anliegen.ChannelCount{}
	err := eachRow(ctx, tx, `SELECT id, name, platform FROM channels`, nil, func(rows *sql.Rows) error {
		var c anliegen.ChannelCount
		var platform string
		err := rows.Scan(&c.ChannelID, &c.Name, &platform)
		c.Platform = anliegen.Platform(platform)
		names[c.ChannelID] = c
		return err
	})
	return names, err
}

// durationStats returns the median and 90th percentile (nearest rank) of
// durations in milliseconds; ds is sorted in place.
func durationStats(ds []int64) anliegen.DurationStats {
	if len(ds) == 0 {
		return anliegen.DurationStats{}
	}
	slices.Sort(ds)
	rank := func(p float64) float64 {
		i := int(math.Ceil(p*float64(len(ds)))) - 1
		return float64(ds[max(i, 0)]) / 1000
	}
	return anliegen.DurationStats{Count: len(ds), MedianSeconds: rank(0.5), P90Seconds: rank(0.9)}
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
