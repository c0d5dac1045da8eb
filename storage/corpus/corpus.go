// Package corpus generates any number of fictional citizen inquiries in
// the style of testdata/inquiries-dev.jsonl, deterministically from a
// seed, for benchmarks of the store and the search index (and the
// `anliegen bench` command). It recombines the sentences of the embedded
// test inquiries within a department and language, draws authors,
// platforms and dates over two years, and sprinkles typos, house numbers
// and names so that the vocabulary has a realistic long tail.
package corpus

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/anliegen/anliegen"
)

// templates is a copy of testdata/inquiries-dev.jsonl (fictional texts
// written for this project, see its README).
//
//go:embed templates/inquiries.jsonl
var templates []byte

// Inquiry is one generated citizen inquiry and the answer it got. Its
// fields and JSON names are those of a history file line (see
// storage.HistoryRecord), plus CreatedAt.
type Inquiry struct {
	ID         string            `json:"id"`
	Platform   anliegen.Platform `json:"platform"`
	Kind       anliegen.Kind     `json:"kind"`
	Author     string            `json:"author"`
	Text       string            `json:"text"`
	Department string            `json:"department"`
	Priority   anliegen.Priority `json:"priority"`
	Tags       []string          `json:"tags"`
	Answer     string            `json:"answer"` // "" for spam
	Lang       string            `json:"lang"`
	CreatedAt  time.Time         `json:"created_at"`
}

// Messages is 2 for an answered inquiry and 1 otherwise.
func (q *Inquiry) Messages() int {
	if q.Answer == "" {
		return 1
	}
	return 2
}

// IndexDocs returns the search documents of q as ticket ticketID: the
// question as inbound message firstMessageID and the answer, if any, as
// outbound message firstMessageID+1, sent an hour later. Answered tickets
// are resolved, others closed.
func (q *Inquiry) IndexDocs(ticketID, firstMessageID int64) []anliegen.IndexDoc {
	status := anliegen.StatusClosed
	if q.Answer != "" {
		status = anliegen.StatusResolved
	}
	in := anliegen.IndexDoc{
		MessageID: firstMessageID, TicketID: ticketID,
		Number:    fmt.Sprintf("A-%d-%06d", q.CreatedAt.Year(), ticketID),
		ChannelID: 1, Platform: q.Platform, Kind: q.Kind, ExternalID: q.ID,
		Direction: anliegen.DirectionIn, Department: q.Department, Status: status,
		Priority: q.Priority, Tags: q.Tags, Author: q.Author, Text: q.Text, CreatedAt: q.CreatedAt,
	}
	if q.Answer == "" {
		return []anliegen.IndexDoc{in}
	}
	out := in
	out.MessageID, out.Direction, out.ExternalID = firstMessageID+1, anliegen.DirectionOut, q.ID+"-answer"
	out.Author, out.Text, out.CreatedAt = "Stadt Musterstadt", q.Answer, q.CreatedAt.Add(time.Hour)
	return []anliegen.IndexDoc{in, out}
}

// Generator produces inquiries. It is not safe for concurrent use; make
// one per goroutine (with different seeds for different data).
type Generator struct {
	rng     *rand.Rand
	seq     int
	src     []Inquiry
	pools   map[string]*pool // by department and language
	authors []string
	first   []string
	last    []string
}

// pool holds the sentences of one department in one language.
type pool struct {
	questions, answers [][]string // sentences of each template
}

// Span of the generated dates: two years up to the start of 2026.
var (
	spanEnd = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	span    = 2 * 365 * 24 * time.Hour
)

// New returns a generator whose output depends only on seed.
func New(seed uint64) *Generator {
	g := &Generator{
		rng:   rand.New(rand.NewPCG(seed, 0x616e6c6965676e)),
		pools: map[string]*pool{},
	}
	dec := json.NewDecoder(bytes.NewReader(templates))
	for dec.More() {
		var q Inquiry
		if err := dec.Decode(&q); err != nil {
			// The embedded file is part of the source; a broken copy is a
			// programming error that every test would catch.
			panic(fmt.Sprintf("corpus: bad embedded template: %v", err))
		}
		g.src = append(g.src, q)
		key := q.Department + "/" + q.Lang
		p := g.pools[key]
		if p == nil {
			p = &pool{}
			g.pools[key] = p
		}
		p.questions = append(p.questions, sentences(q.Text))
		if q.Answer != "" {
			p.answers = append(p.answers, sentences(q.Answer))
		}
		g.authors = append(g.authors, q.Author)
		if f, l, ok := strings.Cut(q.Author, " "); ok && !strings.ContainsAny(q.Author, "@.") {
			g.first = append(g.first, f)
			g.last = append(g.last, l)
		}
	}
	return g
}

// Next returns the next inquiry. Its ID is "gen-<seq>", seq from 1.
func (g *Generator) Next() Inquiry {
	g.seq++
	t := g.src[g.rng.IntN(len(g.src))]
	q := Inquiry{
		ID: fmt.Sprintf("gen-%07d", g.seq), Platform: t.Platform, Kind: t.Kind,
		Department: t.Department, Priority: t.Priority, Tags: t.Tags, Lang: t.Lang,
		Author:    g.author(),
		CreatedAt: spanEnd.Add(-time.Duration(g.rng.Int64N(int64(span)))).Truncate(time.Second),
	}
	p := g.pools[t.Department+"/"+t.Lang]
	if t.Lang != "de" || len(p.questions) < 3 {
		// Too few to recombine; vary the original a little.
		q.Text, q.Answer = g.vary(t.Text), t.Answer
		return q
	}
	q.Text = g.compose(p.questions, 1+g.rng.IntN(3))
	if t.Answer != "" && len(p.answers) > 0 {
		q.Answer = g.compose(p.answers, 2+g.rng.IntN(3))
	}
	return q
}

// compose joins n sentences drawn from different templates of a pool.
func (g *Generator) compose(tpls [][]string, n int) string {
	var b strings.Builder
	for i := range n {
		ss := tpls[g.rng.IntN(len(tpls))]
		s := ss[g.rng.IntN(len(ss))]
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(g.vary(s))
	}
	return b.String()
}

// vary changes details of s: now and then a typo, a house number or a
// street, so that not every generated text repeats the templates' words.
func (g *Generator) vary(s string) string {
	change := g.rng.IntN(10)
	if change > 3 {
		return s
	}
	words := strings.Fields(s)
	if len(words) == 0 {
		return s
	}
	switch change {
	case 0, 1: // a typo in one word
		i := g.rng.IntN(len(words))
		words[i] = typo(g.rng, words[i])
	case 2: // a house number
		i := g.rng.IntN(len(words))
		words[i] = fmt.Sprintf("%s %d", words[i], 1+g.rng.IntN(180))
	case 3: // a street
		i := g.rng.IntN(len(words))
		words[i] = fmt.Sprintf("%s (%s%s)", words[i], g.last[g.rng.IntN(len(g.last))],
			streetKinds[g.rng.IntN(len(streetKinds))])
	}
	return strings.Join(words, " ")
}

var streetKinds = []string{"straße", "weg", "allee", "platz", "ring", "gasse"}

// author returns a template author or a new combination of first and last
// names.
func (g *Generator) author() string {
	if g.rng.IntN(2) == 0 || len(g.first) == 0 {
		return g.authors[g.rng.IntN(len(g.authors))]
	}
	return g.first[g.rng.IntN(len(g.first))] + " " + g.last[g.rng.IntN(len(g.last))]
}

// typo swaps two neighbouring letters of w or drops one.
func typo(rng *rand.Rand, w string) string {
	r := []rune(w)
	if len(r) < 4 || !unicode.IsLetter(r[1]) || !unicode.IsLetter(r[2]) {
		return w
	}
	i := 1 + rng.IntN(len(r)-2)
	if !unicode.IsLetter(r[i]) || !unicode.IsLetter(r[i-1]) {
		return w
	}
	if rng.IntN(2) == 0 {
		r[i-1], r[i] = r[i], r[i-1]
		return string(r)
	}
	return string(append(r[:i:i], r[i+1:]...))
}

// sentences splits text after '.', '!' or '?' followed by a space.
func sentences(text string) []string {
	var out []string
	start := 0
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		i += size
		if (r == '.' || r == '!' || r == '?') && i < len(text) && (text[i] == ' ' || text[i] == '\n') {
			if s := strings.TrimSpace(text[start:i]); s != "" {
				out = append(out, s)
			}
			start = i
		}
	}
	if s := strings.TrimSpace(text[start:]); s != "" {
		out = append(out, s)
	}
	return out
}
