package connectors_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/anliegen/anliegen"
	"github.com/anliegen/anliegen/connectors"
	"github.com/anliegen/anliegen/connectors/mastodon"
	"github.com/anliegen/anliegen/connectors/mastodon/mastodontest"
)

// benchFake serves n mentions with a budget that never runs out.
func benchFake(b *testing.B, n int) (*mastodontest.Server, mastodontest.Account) {
	b.Helper()
	fake := mastodontest.New(mastodontest.Options{RateLimit: 1 << 30})
	b.Cleanup(fake.Close)
	anna := fake.AddAccount("anna@example.org", "Anna")
	for i := range n {
		if _, err := fake.Mention(anna, fmt.Sprintf("Anliegen %d: die Straßenlaterne vor Hausnummer %d ist aus. https://musterstadt.de/maengel", i, i%200)); err != nil {
			b.Fatal(err)
		}
	}
	return fake, anna
}

// BenchmarkMastodonPoll measures the connector alone: paging 100k mentions
// out of the fake and mapping them to items (the ceiling for poll → ingest).
func BenchmarkMastodonPoll(b *testing.B) {
	const n = 100_000
	fake, _ := benchFake(b, n)
	ch := mastodonChannel(fake, fake.Town().Token)
	var total int
	start := time.Now()
	for b.Loop() {
		conn, err := mastodon.New(ch, nil)
		if err != nil {
			b.Fatal(err)
		}
		cursor := ""
		for {
			res, err := conn.Poll(context.Background(), cursor)
			if err != nil {
				b.Fatal(err)
			}
			total += len(res.Items)
			cursor = res.Cursor
			if !res.More {
				break
			}
		}
	}
	b.ReportMetric(float64(total)/time.Since(start).Seconds(), "items/s")
}

// BenchmarkPollIngest measures the runtime end to end: poll the fake,
// ingest into a real SQLite store, until n items are stored. The baseline
// in the same run is BenchmarkIngestOnly: the same items handed to Ingest
// directly, in pages of 80.
func BenchmarkPollIngest(b *testing.B) {
	for _, n := range []int{2_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			fake, _ := benchFake(b, n)
			var total int
			var elapsed time.Duration
			for b.Loop() {
				db := openStore(b)
				ch := mastodonChannel(fake, fake.Town().Token)
				if err := db.CreateChannel(context.Background(), &ch); err != nil {
					b.Fatal(err)
				}
				reg := connectors.NewRegistry()
				reg.Register(anliegen.PlatformMastodon, mastodon.Factory)
				rt := connectors.NewRuntime(nil, reg, db, db, nil, connectors.Options{})
				start := time.Now()
				stop := run(b, rt)
				eventually(b, "all stored", func() bool {
					c, err := db.Channel(context.Background(), ch.ID)
					return err == nil && c.Health.ItemsTotal >= int64(n)
				})
				elapsed += time.Since(start)
				stop()
				total += n
			}
			b.ReportMetric(float64(total)/elapsed.Seconds(), "items/s")
		})
	}
}

func BenchmarkIngestOnly(b *testing.B) {
	for _, n := range []int{2_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
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
			var total int
			var elapsed time.Duration
			for b.Loop() {
				db := openStore(b)
				ch := mastodonChannel(fake, fake.Town().Token)
				if err := db.CreateChannel(context.Background(), &ch); err != nil {
					b.Fatal(err)
				}
				start := time.Now()
				for _, p := range pages {
					if _, err := db.Ingest(context.Background(), ch.ID, p.Items, p.Cursor); err != nil {
						b.Fatal(err)
					}
				}
				elapsed += time.Since(start)
				total += n
			}
			b.ReportMetric(float64(total)/elapsed.Seconds(), "items/s")
		})
	}
}

// BenchmarkSender measures replies/s through the sender (claim, Reply on
// the fake, mark sent); the baseline is Reply called in a loop.
func BenchmarkSender(b *testing.B) {
	const n = 500
	fake, anna := benchFake(b, 1)
	parent := fake.StatusesBy(anna.ID)[0]
	conn, err := mastodon.New(mastodonChannel(fake, fake.Town().Token), nil)
	if err != nil {
		b.Fatal(err)
	}
	msg := func(id int64) anliegen.OutboundMessage {
		return anliegen.OutboundMessage{ID: id, ChannelID: 1, Kind: anliegen.KindComment, Text: "Danke, ist erledigt. ^AB",
			InReplyTo: parent.ID, ThreadID: parent.ID, Recipient: anliegen.Author{Handle: "@anna@example.org"}}
	}
	b.Run("direct", func(b *testing.B) {
		next := int64(1_000_000)
		var total int
		start := time.Now()
		for b.Loop() {
			for range n {
				next++
				m := msg(next)
				m.Attempts = 1
				if _, err := conn.Reply(context.Background(), m); err != nil {
					b.Fatal(err)
				}
			}
			total += n
		}
		b.ReportMetric(float64(total)/time.Since(start).Seconds(), "replies/s")
	})
	b.Run("sender", func(b *testing.B) {
		var total int
		var elapsed time.Duration
		for b.Loop() {
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
			s := connectors.NewSender(nil, db, func(context.Context, int64) (anliegen.Connector, error) { return conn, nil }, connectors.Options{})
			start := time.Now()
			for s.SendDue(context.Background()) > 0 {
			}
			elapsed += time.Since(start)
			total += n
		}
		b.ReportMetric(float64(total)/elapsed.Seconds(), "replies/s")
	})
}
