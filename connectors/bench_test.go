package connectors_test

import (
	"context"
	"fmt"
	"log/slog"
	"syscall"
	"testing"
	"time"

	"github.com/anliegen/anliegen"
	"github.com/anliegen/anliegen/connectors"
	"github.com/anliegen/anliegen/connectors/mastodon"
	"github.com/anliegen/anliegen/connectors/mastodon/mastodontest"
	"github.com/anliegen/anliegen/storage/search"
)

// meter measures wall and process CPU time of a benchmark's timed parts:
// the machine is shared, so CPU-seconds say more than wall time. The CPU
// figure includes the fake server, which runs in the same process.
type meter struct {
	wall, cpu time.Duration
	n         int
	t0, c0    time.Time
	cpu0      time.Duration
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func (m *meter) start() { m.t0, m.cpu0 = time.Now(), cpuTime() }

func (m *meter) stop(n int) {
	m.wall += time.Since(m.t0)
	m.cpu += cpuTime() - m.cpu0
	m.n += n
}

func (m *meter) report(b *testing.B, unit string) {
	b.ReportMetric(float64(m.n)/m.wall.Seconds(), unit+"/s")
	b.ReportMetric(float64(m.n)/m.cpu.Seconds(), unit+"/cpu_s")
}

// benchFake serves n mentions with a budget that never runs out.
func benchFake(b *testing.B, n int) (*mastodontest.Server, mastodontest.Account) {
	b.Helper()
	fake := mastodontest.New(mastodontest.Options{RateLimit: 1 << 30})
	b.Cleanup(fake.Close)
	anna := fake.AddAccount("anna@example.org", "Anna")
	addMentions(b, fake, anna, n)
	return fake, anna
}

// addMentions posts n mentions of the town by anna.
func addMentions(b *testing.B, fake *mastodontest.Server, anna mastodontest.Account, n int) {
	b.Helper()
	for i := range n {
		if _, err := fake.Mention(anna, fmt.Sprintf("Anliegen %d: die Straßenlaterne vor Hausnummer %d ist aus. https://musterstadt.de/maengel", i, i%200)); err != nil {
			b.Fatal(err)
		}
	}
}

// runUntilStored runs a runtime with the Mastodon connector over db and
// meters it until channel ch has stored n items.
func runUntilStored(b *testing.B, m *meter, db *realStore, ch int64, n int, opts connectors.Options) {
	b.Helper()
	reg := connectors.NewRegistry()
	reg.Register(anliegen.PlatformMastodon, mastodon.Factory)
	rt := connectors.NewRuntime(nil, reg, db, db, nil, opts)
	m.start()
	stop := run(b, rt)
	eventually(b, "all stored", func() bool {
		c, err := db.Channel(context.Background(), ch)
		return err == nil && c.Health.ItemsTotal >= int64(n)
	})
	m.stop(n)
	stop()
}

// BenchmarkMastodonPoll measures the connector alone: paging 100k mentions
// out of the fake and mapping them to items (the ceiling for poll → ingest).
func BenchmarkMastodonPoll(b *testing.B) {
	const n = 100_000
	fake, _ := benchFake(b, n)
	ch := mastodonChannel(fake, fake.Town().Token)
	var m meter
	for b.Loop() {
		conn, err := mastodon.New(ch, nil)
		if err != nil {
			b.Fatal(err)
		}
		got := 0
		m.start()
		for cursor := ""; ; {
			res, err := conn.Poll(context.Background(), cursor)
			if err != nil {
				b.Fatal(err)
			}
			got += len(res.Items)
			if cursor = res.Cursor; !res.More {
				break
			}
		}
		m.stop(got)
	}
	m.report(b, "items")
}

// BenchmarkPollIngest measures the runtime end to end: poll the fake and
// ingest into a real SQLite store until all 100k items are stored. Its
// baseline in the same run is BenchmarkIngestOnly.
//
// With max=80 every page is its own transaction, as before pages fetched
// ahead were coalesced; max=320 is the default.
func BenchmarkPollIngest(b *testing.B) {
	const n = 100_000
	fake, _ := benchFake(b, n)
	for _, maxItems := range []int{320, 80} {
		b.Run(fmt.Sprintf("max=%d", maxItems), func(b *testing.B) {
			var m meter
			for b.Loop() {
				db := openStore(b)
				ch := mastodonChannel(fake, fake.Town().Token)
				if err := db.CreateChannel(context.Background(), &ch); err != nil {
					b.Fatal(err)
				}
				runUntilStored(b, &m, db, ch.ID, n, connectors.Options{IngestMaxItems: maxItems})
			}
			m.report(b, "items")
		})
	}
}

// BenchmarkPollIngestLive is BenchmarkPollIngest for live polling: the
// channel's cursor is already live when 100k mentions arrive, so the
// runtime catches up with min_id pages instead of a backfill.
func BenchmarkPollIngestLive(b *testing.B) {
	const n = 100_000
	var m meter
	for b.Loop() {
		fake, anna := benchFake(b, 1)
		db := openStore(b)
		ch := mastodonChannel(fake, fake.Town().Token)
		if err := db.CreateChannel(context.Background(), &ch); err != nil {
			b.Fatal(err)
		}
		conn, err := mastodon.New(ch, nil)
		if err != nil {
			b.Fatal(err)
		}
		for cursor := ""; ; { // the first start, done: the cursor is live
			res, err := conn.Poll(context.Background(), cursor)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := db.Ingest(context.Background(), ch.ID, res.Items, res.Cursor); err != nil {
				b.Fatal(err)
			}
			if cursor = res.Cursor; !res.More {
				break
			}
		}
		addMentions(b, fake, anna, n)
		runUntilStored(b, &m, db, ch.ID, n, connectors.Options{})
	}
	m.report(b, "items")
}

// BenchmarkIngestOnly is the baseline of BenchmarkPollIngest: the same
// items, fetched beforehand, handed to Ingest directly in pages of 80.
func BenchmarkIngestOnly(b *testing.B) {
	const n = 100_000
	fake, _ := benchFake(b, n)
	conn, err := mastodon.New(mastodonChannel(fake, fake.Town().Token), nil)
	if err != nil {
		b.Fatal(err)
	}
	var pages []anliegen.PollResult
	for cursor := ""; ; {
		res, err := conn.Poll(context.Background(), cursor)
		if err != nil {
			b.Fatal(err)
		}
		pages, cursor = append(pages, res), res.Cursor
		if !res.More {
			break
		}
	}
	// pages=k hands k pages to one Ingest call: what a transaction costs
	// besides its items.
	for _, k := range []int{1, 5} {
		b.Run(fmt.Sprintf("pages=%d", k), func(b *testing.B) {
			var m meter
			for b.Loop() {
				db := openStore(b)
				ch := mastodonChannel(fake, fake.Town().Token)
				if err := db.CreateChannel(context.Background(), &ch); err != nil {
					b.Fatal(err)
				}
				m.start()
				for i := 0; i < len(pages); i += k {
					var items []anliegen.Item
					for _, p := range pages[i:min(i+k, len(pages))] {
						items = append(items, p.Items...)
					}
					if _, err := db.Ingest(context.Background(), ch.ID, items, pages[min(i+k, len(pages))-1].Cursor); err != nil {
						b.Fatal(err)
					}
				}
				m.stop(n)
			}
			m.report(b, "items")
		})
	}
}

// BenchmarkPollIngestIndex is BenchmarkPollIngest with the search indexer
// following the events log: the clock stops when every message is
// searchable.
func BenchmarkPollIngestIndex(b *testing.B) {
	const n = 100_000
	fake, _ := benchFake(b, n)
	var m meter
	for b.Loop() {
		db := openStore(b)
		idx, err := search.Open(context.Background(), b.TempDir(), slog.New(slog.DiscardHandler), search.Options{Source: db.DB})
		if err != nil {
			b.Fatal(err)
		}
		ch := mastodonChannel(fake, fake.Town().Token)
		if err := db.CreateChannel(context.Background(), &ch); err != nil {
			b.Fatal(err)
		}
		reg := connectors.NewRegistry()
		reg.Register(anliegen.PlatformMastodon, mastodon.Factory)
		rt := connectors.NewRuntime(nil, reg, db, db, nil, connectors.Options{})
		ictx, cancel := context.WithCancel(context.Background())
		idone := make(chan struct{})
		m.start()
		go func() { defer close(idone); _ = idx.Run(ictx, db.DB) }()
		stop := run(b, rt)
		eventually(b, "all indexed", func() bool {
			c, err := idx.DocCount()
			return err == nil && c >= uint64(n)
		})
		m.stop(n)
		stop()
		cancel()
		<-idone
		_ = idx.Close()
	}
	m.report(b, "items")
}

// BenchmarkSender measures replies/s through the sender (claim from the
// store, Reply on the fake, mark sent); the baseline is Reply called in a
// loop.
func BenchmarkSender(b *testing.B) {
	const n = 500
	fake, anna := benchFake(b, 1)
	parent := fake.StatusesBy(anna.ID)[0]
	conn, err := mastodon.New(mastodonChannel(fake, fake.Town().Token), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("direct", func(b *testing.B) {
		next := int64(1_000_000)
		var m meter
		for b.Loop() {
			m.start()
			for range n {
				next++
				_, err := conn.Reply(context.Background(), anliegen.OutboundMessage{ID: next, Kind: anliegen.KindComment,
					Text: "Danke, ist erledigt. ^AB", InReplyTo: parent.ID, ThreadID: parent.ID,
					Recipient: anliegen.Author{Handle: "@anna@example.org"}, Attempts: 1})
				if err != nil {
					b.Fatal(err)
				}
			}
			m.stop(n)
		}
		m.report(b, "replies")
	})
	// queue fills a fresh store with n replies to parent's ticket.
	queue := func(b *testing.B) *realStore {
		db := openStore(b)
		ch := mastodonChannel(fake, fake.Town().Token)
		if err := db.CreateChannel(context.Background(), &ch); err != nil {
			b.Fatal(err)
		}
		res, err := conn.Poll(context.Background(), "")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := db.Ingest(context.Background(), ch.ID, res.Items, res.Cursor); err != nil {
			b.Fatal(err)
		}
		ticket, agent := db.ticketOf(b, ch.ID, parent.ID), db.agent(b)
		for range n {
			db.reply(b, ticket, agent, "Danke, ist erledigt. ^AB")
		}
		return db
	}
	conns := func(context.Context, int64) (anliegen.Connector, error) { return conn, nil }
	b.Run("sender", func(b *testing.B) {
		var m meter
		for b.Loop() {
			db := queue(b)
			s := connectors.NewSender(nil, db, conns, connectors.Options{})
			m.start()
			for s.SendDue(context.Background()) > 0 {
			}
			m.stop(n)
		}
		m.report(b, "replies")
	})
}
