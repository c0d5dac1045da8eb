package bench

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/anliegen/anliegen"
)

// corpus generates citizen messages and the town's replies in the style of
// testdata/inquiries-dev.jsonl, deterministically from a seed: the same seed
// yields the same items in the same order, so the raw SQLite anchor, the
// FTS5 baseline and the store see identical rows without holding them all
// in memory.
//
// Texts are sentences from per-department templates with varied slots
// (streets, numbers, names, dates), greetings, closings, filler and
// occasional typos, so that the vocabulary has both frequent words and a
// long tail of rare tokens, as real inboxes do.
type corpus struct {
	rng     *rand.Rand
	limit   int // messages to produce
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

// corpusPlatforms are the channels the corpus uses, with their weights.
var corpusPlatforms = []struct {
	platform anliegen.Platform
	weight   int
}{
	{anliegen.PlatformFacebook, 30}, {anliegen.PlatformInstagram, 12}, {anliegen.PlatformMastodon, 8},
	{anliegen.PlatformX, 6}, {anliegen.PlatformWhatsApp, 14}, {anliegen.PlatformEmail, 20},
	{anliegen.PlatformWebform, 10},
}

// corpusStart is the time of the first generated message; later ones
// follow a minute or so apart.
var corpusStart = time.Date(2025, 1, 6, 7, 0, 0, 0, time.UTC)

func newCorpus(seed int64, limit int, prefix string) *corpus {
	return &corpus{rng: rand.New(rand.NewPCG(uint64(seed), 0x616e6c6965676e)), limit: limit, prefix: prefix}
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
// sometimes a follow-up, often the town's reply.
func (c *corpus) newThread() []genItem {
	c.thread++
	t := c.thread
	ch := c.pickPlatform()
	p := corpusPlatforms[ch].platform
	kind := anliegen.KindComment
	switch {
	case p == anliegen.PlatformWhatsApp:
		kind = anliegen.KindDM
	case p == anliegen.PlatformEmail || p == anliegen.PlatformWebform:
		kind = anliegen.KindMail
	case c.rng.IntN(10) < 3:
		kind = anliegen.KindDM
	}
	d := &departments[c.pickDepartment()]
	name := firstNames[c.rng.IntN(len(firstNames))] + " " + lastNames[c.rng.IntN(len(lastNames))]
	// Authors repeat: about one in three threads is by someone seen before.
	author := anliegen.Author{ExternalID: "u" + strconv.Itoa(c.rng.IntN(c.limit/3+10)), Name: name,
		Handle: "@" + strings.ToLower(strings.ReplaceAll(name, " ", "_"))}
	at := corpusStart.Add(time.Duration(t) * 47 * time.Second)
	id := c.prefix + strconv.Itoa(t)
	threadID := "conv-" + id
	if kind == anliegen.KindComment {
		threadID = "post-" + c.prefix + strconv.Itoa(t/40) // many citizens comment under one post
	}
	first := anliegen.Item{ExternalID: "m" + id + "a", Kind: kind, ThreadID: threadID,
		Author: author, Text: c.question(d, name, kind == anliegen.KindMail), CreatedAt: at, Lang: "de"}
	if kind == anliegen.KindMail {
		first.ThreadID = "<" + first.ExternalID + "@mail.example>"
		first.Subject = d.subjects[c.rng.IntN(len(d.subjects))]
	}
	out := []genItem{{ch, first}}
	if c.rng.IntN(4) == 0 {
		follow := first
		follow.ExternalID = "m" + id + "b"
		follow.ParentID = first.ExternalID
		follow.Text = c.followUp()
		follow.CreatedAt = at.Add(time.Duration(5+c.rng.IntN(120)) * time.Minute)
		out = append(out, genItem{ch, follow})
	}
	if c.rng.IntN(10) < 6 {
		reply := anliegen.Item{ExternalID: "m" + id + "r", Kind: kind, ThreadID: first.ThreadID,
			ParentID: first.ExternalID, Author: anliegen.Author{ExternalID: "town", Name: "Stadt Musterstadt"},
			Text: c.answer(d, name), CreatedAt: at.Add(time.Duration(30+c.rng.IntN(3000)) * time.Minute),
			FromUs: true, Lang: "de"}
		if kind == anliegen.KindMail {
			reply.References = []string{first.ThreadID}
			reply.Subject = "Re: " + first.Subject
		}
		out = append(out, genItem{ch, reply})
	}
	return out
}

func (c *corpus) pickPlatform() int {
	total := 0
	for _, p := range corpusPlatforms {
		total += p.weight
	}
	n := c.rng.IntN(total)
	for i, p := range corpusPlatforms {
		if n < p.weight {
			return i
		}
		n -= p.weight
	}
	return 0
}

func (c *corpus) pickDepartment() int {
	total := 0
	for _, d := range departments {
		total += d.weight
	}
	n := c.rng.IntN(total)
	for i, d := range departments {
		if n < d.weight {
			return i
		}
		n -= d.weight
	}
	return 0
}

// question writes a citizen's message for department d.
func (c *corpus) question(d *department, name string, mail bool) string {
	var b strings.Builder
	if mail || c.rng.IntN(3) == 0 {
		b.WriteString(greetings[c.rng.IntN(len(greetings))])
		b.WriteByte(' ')
	}
	n := 1 + c.rng.IntN(2)
	if mail {
		n = 2 + c.rng.IntN(3)
	}
	for i := range n {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(c.fill(d.questions[c.rng.IntN(len(d.questions))]))
	}
	if c.rng.IntN(2) == 0 {
		b.WriteByte(' ')
		b.WriteString(c.fill(fillers[c.rng.IntN(len(fillers))]))
	}
	if mail || c.rng.IntN(3) == 0 {
		b.WriteByte(' ')
		b.WriteString(strings.ReplaceAll(closings[c.rng.IntN(len(closings))], "{name}", name))
	}
	return c.typos(b.String())
}

func (c *corpus) followUp() string {
	return c.typos(c.fill(followUps[c.rng.IntN(len(followUps))]))
}

// answer writes the town's reply for department d.
func (c *corpus) answer(d *department, name string) string {
	last := name[strings.LastIndexByte(name, ' ')+1:]
	var b strings.Builder
	b.WriteString("Hallo " + []string{"Frau ", "Herr ", ""}[c.rng.IntN(3)] + last + ", vielen Dank für Ihre Nachricht! ")
	b.WriteString(c.fill(d.answers[c.rng.IntN(len(d.answers))]))
	b.WriteByte(' ')
	b.WriteString(c.fill(answerTails[c.rng.IntN(len(answerTails))]))
	b.WriteString(" ^" + string(rune('A'+c.rng.IntN(26))) + string(rune('A'+c.rng.IntN(26))))
	return b.String()
}

// fill replaces the slots of a template, each with a fresh value.
func (c *corpus) fill(tpl string) string {
	if !strings.Contains(tpl, "{") {
		return tpl
	}
	var b strings.Builder
	for {
		open := strings.IndexByte(tpl, '{')
		if open < 0 {
			b.WriteString(tpl)
			return b.String()
		}
		end := strings.IndexByte(tpl[open:], '}')
		if end < 0 {
			b.WriteString(tpl)
			return b.String()
		}
		b.WriteString(tpl[:open])
		b.WriteString(c.slot(tpl[open+1 : open+end]))
		tpl = tpl[open+end+1:]
	}
}

// slot returns a value for the named slot of a template.
func (c *corpus) slot(name string) string {
	switch name {
	case "street":
		return streets[c.rng.IntN(len(streets))]
	case "nr":
		return strconv.Itoa(1 + c.rng.IntN(180))
	case "day":
		return weekdays[c.rng.IntN(len(weekdays))]
	case "date":
		return strconv.Itoa(1+c.rng.IntN(28)) + "." + strconv.Itoa(1+c.rng.IntN(12)) + "."
	case "weeks":
		return strconv.Itoa(2 + c.rng.IntN(10))
	case "euro":
		return strconv.Itoa(5 + c.rng.IntN(400))
	case "az":
		return fmt.Sprintf("%s-%d-%05d", []string{"AZ", "VG", "KA", "BA"}[c.rng.IntN(4)], 2024+c.rng.IntN(3), c.rng.IntN(100000))
	case "phone":
		return fmt.Sprintf("01234 56-%04d", c.rng.IntN(10000))
	case "place":
		return places[c.rng.IntN(len(places))]
	}
	return "{" + name + "}"
}

// typos misspells a word in about one message of six, as citizens do.
func (c *corpus) typos(s string) string {
	if c.rng.IntN(6) != 0 {
		return s
	}
	words := strings.Fields(s)
	i := c.rng.IntN(len(words))
	w := []rune(words[i])
	if len(w) < 5 {
		return s
	}
	j := 1 + c.rng.IntN(len(w)-2)
	switch c.rng.IntN(3) {
	case 0: // dropped letter
		w = append(w[:j], w[j+1:]...)
	case 1: // doubled letter
		w = append(w[:j+1], w[j:]...)
	default: // swapped letters
		w[j], w[j+1] = w[j+1], w[j]
	}
	words[i] = string(w)
	return strings.Join(words, " ")
}
