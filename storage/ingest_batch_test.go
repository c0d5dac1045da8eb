package storage

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/anliegen/anliegen"
)

// TestIngestBatchEqualsSingle proves that a batch is only a faster way to
// ingest its items: the same random stream, ingested once in random
// batches (up to a backfill page) and once one item per Ingest call,
// leaves identical rows in every table the ingest writes, events and
// their ids included. The batch path reads ahead (dedup, parents, thread
// keys, identities), hands out message ids itself and writes each
// ticket's activity once at the end; this is what keeps that honest.
//
// The stream mixes the bench corpus's comments, DMs, mail threads and our
// replies with duplicates, stale and fresh edits, deletes, late old
// messages, messages weeks later (past the reopen window), invalid items
// and identities whose name changes; between segments both stores get the
// same staff actions (resolve, close, merge), so that later items reopen
// tickets, start new ones or follow merges.
func TestIngestBatchEqualsSingle(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("INGEST_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	t.Logf("seed %d (rerun with INGEST_SEED=%d)", seed, seed)
	rounds, items := 4, 500
	if testing.Short() || raceEnabled {
		rounds, items = 1, 250
	}
	for round := range rounds {
		rng := rand.New(rand.NewPCG(seed, uint64(round)))
		stream := batchTestStream(rng, items)
		now := time.Date(2025, 1, 8, 12, 0, 0, 0, time.UTC)
		open := func() (*DB, []int64) {
			db := mustOpen(t)
			db.now = func() time.Time { return now }
			return db, streamChannels(t, db)
		}
		batched, bch := open()
		single, sch := open()
		segments := 6
		seg := (len(stream) + segments - 1) / segments
		for s := 0; s < len(stream); s += seg {
			for _, bt := range planBatches(stream[s:min(s+seg, len(stream))], len(bch), rng) {
				if _, err := batched.Ingest(context.Background(), bch[bt.ch], bt.items, "c"+strconv.Itoa(s)); err != nil {
					t.Fatal(err)
				}
				for _, it := range bt.items {
					if _, err := single.Ingest(context.Background(), sch[bt.ch], []anliegen.Item{it}, "c"+strconv.Itoa(s)); err != nil {
						t.Fatal(err)
					}
				}
			}
			staffActions(t, rng.Uint64(), batched, single)
		}
		a, b := dumpStore(t, batched), dumpStore(t, single)
		if a != b {
			t.Fatalf("round %d: batched and single ingest differ:\n%s", round, firstDiff(a, b))
		}
	}
}

// batchTestStream returns n items of genStream with trouble mixed in.
func batchTestStream(rng *rand.Rand, n int) []streamItem {
	base := genStream(rng.Uint64(), n, "s")
	out := make([]streamItem, 0, n*2)
	for i, it := range base {
		switch r := rng.IntN(40); {
		case r == 0: // a duplicate of something earlier
			out = append(out, base[rng.IntN(i+1)])
		case r == 1 && i > 0: // an edit of something earlier, fresh or stale
			e := base[rng.IntN(i)]
			at := e.item.CreatedAt.Add(time.Duration(1+rng.IntN(3)) * time.Hour)
			e.item.EditedAt = &at
			e.item.Text += " (bearbeitet " + strconv.Itoa(rng.IntN(3)) + ")"
			out = append(out, e)
		case r == 2 && i > 0: // a delete
			d := base[rng.IntN(i)]
			d.item.Deleted = true
			out = append(out, d)
		case r == 3: // an old message fetched late
			it.item.CreatedAt = it.item.CreatedAt.Add(-48 * time.Hour)
		case r == 4: // weeks later: past the reopen window
			it.item.CreatedAt = it.item.CreatedAt.Add(30 * 24 * time.Hour)
		case r == 5:
			it.item.Author.Name += " (neu)"
		case r == 6:
			it.item.ExternalID = "" // invalid
		case r == 7: // an edit without edit time, in the same page
			e := it
			e.item.Text += " nochmal"
			out = append(out, it)
			it = e
		}
		out = append(out, it)
	}
	return out
}

// testBatch is one Ingest call's items.
type testBatch struct {
	ch    int
	items []anliegen.Item
}

// planBatches groups items into random batches per channel, in the order
// one poller per channel would hand them in; the single-item run ingests
// the same items in the same order.
func planBatches(items []streamItem, channels int, rng *rand.Rand) []testBatch {
	var out []testBatch
	pending := make([][]anliegen.Item, channels)
	limit := make([]int, channels)
	for i := range limit {
		limit[i] = 1 + rng.IntN(80)
	}
	flush := func(ch int) {
		out = append(out, testBatch{ch, pending[ch]})
		pending[ch], limit[ch] = nil, 1+rng.IntN(80)
	}
	for _, it := range items {
		pending[it.ch] = append(pending[it.ch], it.item)
		if len(pending[it.ch]) >= limit[it.ch] {
			flush(it.ch)
		}
	}
	for ch := range pending {
		if len(pending[ch]) > 0 {
			flush(ch)
		}
	}
	return out
}

// staffActions resolves, closes and merges the same tickets in each store.
func staffActions(t *testing.T, seed uint64, dbs ...*DB) {
	t.Helper()
	for _, db := range dbs {
		rng := rand.New(rand.NewPCG(seed, 1))
		var ids []int64
		rows, err := db.read().Query(`SELECT id FROM tickets WHERE merged_into IS NULL ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		rows.Close()
		if len(ids) < 4 {
			continue
		}
		ctx := context.Background()
		for range len(ids) / 3 {
			st := anliegen.StatusResolved
			if rng.IntN(4) == 0 {
				st = anliegen.StatusClosed
			}
			id := ids[rng.IntN(len(ids))]
			if _, err := db.UpdateTicket(ctx, id, 0, anliegen.TicketUpdate{Status: &st}); err != nil {
				t.Fatal(err)
			}
		}
		from, into := ids[rng.IntN(len(ids))], ids[rng.IntN(len(ids))]
		// A merge may be refused (different kinds, same ticket); it is
		// refused alike in both stores.
		_, _ = db.MergeTickets(ctx, from, into, 0)
	}
}

// dumpStore returns every row the ingest writes, as text, in id order.
func dumpStore(t *testing.T, db *DB) string {
	t.Helper()
	var b strings.Builder
	for _, q := range []string{
		`SELECT * FROM tickets ORDER BY id`,
		`SELECT * FROM messages ORDER BY id`,
		`SELECT * FROM events ORDER BY id`,
		`SELECT * FROM contacts ORDER BY id`,
		`SELECT * FROM identities ORDER BY id`,
		`SELECT * FROM ticket_tags ORDER BY tag, ticket_id`,
		`SELECT id, cursor, items_total FROM channels ORDER BY id`,
		`SELECT * FROM meta ORDER BY key`,
	} {
		rows, err := db.read().Query(q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "%s:", strings.Fields(q)[3])
			for i, v := range vals {
				if bs, ok := v.([]byte); ok {
					v = string(bs)
				}
				fmt.Fprintf(&b, " %s=%v", cols[i], v)
			}
			b.WriteByte('\n')
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
	}
	var n sql.NullInt64
	if err := db.read().QueryRow(`SELECT seq FROM sqlite_sequence WHERE name = 'events'`).Scan(&n); err == nil {
		fmt.Fprintf(&b, "events seq %d\n", n.Int64)
	}
	return b.String()
}

func firstDiff(a, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(la), len(lb)) {
		if la[i] != lb[i] {
			return "line " + strconv.Itoa(i+1) + ":\nbatched: " + la[i] + "\nsingle:  " + lb[i]
		}
	}
	return fmt.Sprintf("lengths %d and %d lines", len(la), len(lb))
}
