package bench

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/anliegen/anliegen"
	inquiries "github.com/anliegen/anliegen/storage/corpus"
)

// corpus turns the inquiries of storage/corpus (recombined from the
// project's fictional test inquiries, so texts, languages, platforms and
// answers follow testdata/inquiries-dev.jsonl) into the items a town's
// channels deliver: conversations with follow-ups and the town's replies,
// public comments gathered under shared posts, mail threads. It is a pure
// function of its seed, so the raw SQLite anchor, the FTS5 baseline and
// the store see identical rows without holding them all in memory.
type corpus struct {
	gen     *inquiries.Generator
	rng     *rand.Rand // the conversation structure, apart from the texts
	limit   int        // messages to produce
	emitted int
	thread  int
	prefix  string // of external and thread IDs, so that two corpora never collide
	pending []genItem
}

// genItem is one generated item and the index of the channel (in
// corpusPlatforms) it arrives on.
type genItem struct {
	channel int
	item    anliegen.Item
}

// corpusPlatforms are the channels the corpus uses: one per platform of
// the test inquiries.
var corpusPlatforms = []anliegen.Platform{
	anliegen.PlatformFacebook, anliegen.PlatformInstagram, anliegen.PlatformX, anliegen.PlatformMastodon,
	anliegen.PlatformBluesky, anliegen.PlatformTelegram, anliegen.PlatformWhatsApp, anliegen.PlatformEmail,
	anliegen.PlatformWebform,
}

// corpusStart is the time of the first generated message; later ones
// follow a minute or so apart, so that threading sees a plausible order.
var corpusStart = time.Date(2025, 1, 6, 7, 0, 0, 0, time.UTC)

// followUps are what citizens add to their own message before the town
// answers.
var followUps = []string{
	"Hallo? Gibt es schon eine Antwort?", "Nachtrag: es betrifft auch die Nachbarstraße.", "Danke, hat sich erledigt!",
	"Ich habe noch eine Frage dazu: bis wann geht das?", "Anbei noch ein Foto von heute.", "Immer noch nichts passiert.",
}

func newCorpus(seed int64, limit int, prefix string) *corpus {
	return &corpus{
		gen:    inquiries.New(uint64(seed)),
		rng:    rand.New(rand.NewPCG(uint64(seed), 0x7468726561647321)),
		limit:  limit,
		prefix: prefix,
	}
}

// next returns the next item; ok is false after limit items.
func (c *corpus) next() (genItem, bool) {
	if c.emitted >= c.limit {
		return genItem{}, false
	}
	if len(c.pending) == 0 {
		c.pending = c.newThread()
	}
	it := c.pending[0]
	c.pending = c.pending[1:]
	c.emitted++
	return it, true
}

// newThread returns the items of one conversation: a citizen's message,
// sometimes a follow-up, usually the town's reply.
func (c *corpus) newThread() []genItem {
	c.thread++
	t := c.thread
	q := c.gen.Next()
	ch := channelOf(q.Platform)
	author := anliegen.Author{ExternalID: "u-" + handle(q.Author), Name: q.Author, Handle: "@" + handle(q.Author)}
	at := corpusStart.Add(time.Duration(t) * 47 * time.Second)
	id := c.prefix + strconv.Itoa(t)
	threadID := "conv-" + id
	if q.Kind == anliegen.KindComment {
		threadID = "post-" + c.prefix + strconv.Itoa(t/40) // many citizens comment under one post
	}
	first := anliegen.Item{ExternalID: "m" + id + "a", Kind: q.Kind, ThreadID: threadID,
		Author: author, Text: q.Text, CreatedAt: at, Lang: q.Lang}
	if q.Kind == anliegen.KindMail {
		first.ThreadID = "<" + first.ExternalID + "@mail.example>"
		first.Subject = subject(q.Text)
	}
	out := []genItem{{ch, first}}
	if c.rng.IntN(4) == 0 {
		follow := first
		follow.ExternalID = "m" + id + "b"
		follow.ParentID = first.ExternalID
		follow.Text = followUps[c.rng.IntN(len(followUps))]
		follow.CreatedAt = at.Add(time.Duration(5+c.rng.IntN(120)) * time.Minute)
		out = append(out, genItem{ch, follow})
	}
	// Most inquiries were answered; the rest are still open.
	if q.Answer != "" && c.rng.IntN(10) < 8 {
		reply := anliegen.Item{ExternalID: "m" + id + "r", Kind: q.Kind, ThreadID: first.ThreadID,
			ParentID: first.ExternalID, Author: anliegen.Author{ExternalID: "town", Name: "Stadt Musterstadt"},
			Text: q.Answer, CreatedAt: at.Add(time.Duration(30+c.rng.IntN(3000)) * time.Minute),
			FromUs: true, Lang: q.Lang}
		if q.Kind == anliegen.KindMail {
			reply.References = []string{first.ThreadID}
			reply.Subject = "Re: " + first.Subject
		}
		out = append(out, genItem{ch, reply})
	}
	return out
}

// channelOf returns the index in corpusPlatforms of platform p, the
// first channel for a platform the test inquiries do not use.
func channelOf(p anliegen.Platform) int {
	return max(slices.Index(corpusPlatforms, p), 0)
}

// handle derives a stable account name from a display name, so that a
// citizen who writes again is the same contact.
func handle(name string) string {
	return strings.ToLower(strings.Join(strings.Fields(name), "_"))
}

// subject is the start of a mail's text, cut at a word boundary, as a
// citizen would title it.
func subject(text string) string {
	const max = 60
	cut, runes := 0, 0
	for i, r := range text {
		if runes == max {
			if cut == 0 {
				return text[:i]
			}
			return text[:cut] + " …"
		}
		if r == ' ' {
			cut = i
		}
		runes++
	}
	return text
}
