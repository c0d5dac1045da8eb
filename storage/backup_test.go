package storage

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/anliegen/anliegen"
)

func TestBackupAndStats(t *testing.T) {
	db := mustOpen(t)
	ctx := context.Background()
	recs := readHistoryFile(t, "../testdata/inquiries-dev.jsonl")[:50]
	if _, err := db.ImportHistory(ctx, recs); err != nil {
		t.Fatal(err)
	}
	ch := newChannel(t, db, anliegen.PlatformMastodon)
	mustIngest(t, db, ch, []anliegen.Item{dm("a1", "u1", "neu", t0)}, "")

	st, err := db.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantDepts := map[string]int64{"": 1}
	for _, r := range recs {
		wantDepts[r.Department]++
	}
	last, _ := db.LastEventID(ctx)
	v, _ := db.SchemaVersion(ctx)
	if st.Tickets != 51 || st.ByStatus["resolved"] != 50 || st.ByStatus["new"] != 1 || st.LastEventID != last ||
		st.SchemaVersion != v || st.Contacts == 0 || st.Channels < 2 || st.FileBytes == 0 || st.Messages < 51 {
		t.Errorf("stats %+v", st)
	}
	for d, n := range wantDepts {
		if st.ByDepartment[d] != n {
			t.Errorf("department %q: %d, want %d", d, st.ByDepartment[d], n)
		}
	}

	path := filepath.Join(t.TempDir(), "backup.db")
	if err := db.Backup(ctx, path); err != nil {
		t.Fatal(err)
	}
	if err := db.Backup(ctx, path); anliegen.ErrorCode(err) != anliegen.EConflict {
		t.Errorf("backup over an existing file: %v", err)
	}
	// The copy opens as a store of its own with the same content.
	dir := t.TempDir()
	if err := os.Rename(path, filepath.Join(dir, FileName)); err != nil {
		t.Fatal(err)
	}
	copyDB := mustOpenDir(t, dir)
	cst, err := copyDB.Stats(ctx)
	if err != nil || cst.Tickets != st.Tickets || cst.Messages != st.Messages || cst.LastEventID != st.LastEventID {
		t.Errorf("backup stats %+v, %v", cst, err)
	}
}
