package storage

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/anliegen/anliegen"
)

func TestTicketStats(t *testing.T) {
	db, _ := mustOpenStaff(t)
	ctx := context.Background()
	fx := newFixture(t, db)
	day := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	specs := []struct {
		spec           ticketSpec
		response, done time.Duration // 0: none
	}{
		{ticketSpec{Department: "abfall", Created: day.Add(9 * time.Hour)}, 10 * time.Minute, 2 * time.Hour},
		{ticketSpec{Department: "abfall", Created: day.Add(10 * time.Hour), Platform: anliegen.PlatformEmail, Kind: anliegen.KindMail}, 30 * time.Minute, 0},
		{ticketSpec{Department: "kfz", Created: day.Add(33 * time.Hour)}, 20 * time.Minute, 4 * time.Hour},
		{ticketSpec{Department: "", Created: day.Add(34 * time.Hour)}, 0, 0},
		{ticketSpec{Department: "kfz", Created: day.Add(-time.Hour)}, time.Minute, time.Minute}, // before the range
	}
	for _, s := range specs {
		tk := fx.ticket(s.spec)
		fx.write(func(tx *sql.Tx) {
			if s.response > 0 {
				fx.exec(tx, `UPDATE tickets SET first_response_at = ? WHERE id = ?`, unixMS(tk.CreatedAt.Add(s.response)), tk.ID)
			}
			if s.done > 0 {
				fx.exec(tx, `UPDATE tickets SET resolved_at = ? WHERE id = ?`, unixMS(tk.CreatedAt.Add(s.done)), tk.ID)
			}
		})
	}
	from, to := day, day.AddDate(0, 0, 7)
	st, err := db.TicketStats(ctx, anliegen.ScopeAll, from, to)
	if err != nil {
		t.Fatal(err)
	}
	if st.Total != 4 || len(st.ByDay) != 2 || st.ByDay[0] != (anliegen.DayCount{Day: "2026-03-02", Count: 2}) ||
		st.ByDay[1] != (anliegen.DayCount{Day: "2026-03-03", Count: 2}) {
		t.Errorf("days %+v total %d", st.ByDay, st.Total)
	}
	if st.ByPlatform[0] != (anliegen.FacetCount{Term: "mastodon", Count: 3}) || st.ByPlatform[1].Count != 1 {
		t.Errorf("platforms %+v", st.ByPlatform)
	}
	if len(st.ByDepartment) != 3 || st.ByDepartment[0] != (anliegen.FacetCount{Term: "abfall", Count: 2}) {
		t.Errorf("departments %+v", st.ByDepartment)
	}
	if len(st.ByChannel) != 2 || st.ByChannel[0].Count != 3 || st.ByChannel[0].Name != "Kanal mastodon" {
		t.Errorf("channels %+v", st.ByChannel)
	}
	if st.FirstResponse != (anliegen.DurationStats{Count: 3, MedianSeconds: 1200, P90Seconds: 1800}) {
		t.Errorf("first response %+v", st.FirstResponse)
	}
	if st.Resolution != (anliegen.DurationStats{Count: 2, MedianSeconds: 7200, P90Seconds: 14400}) {
		t.Errorf("resolution %+v", st.Resolution)
	}

	kfz, err := db.TicketStats(ctx, anliegen.Scope{Departments: []string{"kfz"}}, from, to)
	if err != nil || kfz.Total != 1 || kfz.FirstResponse.Count != 1 || len(kfz.ByDepartment) != 1 {
		t.Errorf("kfz scope: %+v, %v", kfz, err)
	}
	none, err := db.TicketStats(ctx, anliegen.Scope{}, from, to)
	if err != nil || none.Total != 0 || none.ByDay == nil {
		t.Errorf("zero scope: %+v, %v", none, err)
	}
	_, err = db.TicketStats(ctx, anliegen.ScopeAll, to, from)
	wantCode(t, err, anliegen.EInvalid, "to")
	_, err = db.TicketStats(ctx, anliegen.ScopeAll, from, from.AddDate(2, 0, 0))
	wantCode(t, err, anliegen.EInvalid, "to")
}
