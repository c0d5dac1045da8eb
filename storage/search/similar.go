package search

import (
	"context"
	"fmt"
	"sort"
	"time"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"

	"github.com/anliegen/anliegen"
)

// maxSimilarTerms bounds the query built from a whole message: its rarest
// words carry the meaning, and a long mail must not become a slow query.
const maxSimilarTerms = 24

// Similar returns up to limit (default 5, at most 20) resolved or closed
// tickets within scope that are most like text, each with its first
// question and the last answer sent, best first. A ticket matches by its
// question and its answer: the answer often names the topic in the words
// staff use. excludeTicket (the ticket being answered) is left out.
// EInvalid for a text without searchable words.
func (x *Index) Similar(ctx context.Context, text string, scope anliegen.Scope, excludeTicket int64, limit int) ([]anliegen.SimilarTicket, error) {
	if limit <= 0 {
		limit = 5
	}
	limit = min(limit, 20)
	if len(text) > maxSimilarText {
		text = text[:maxSimilarText]
	}
	filter, ok := filterQuery(scope, nil, nil, []anliegen.Status{anliegen.StatusResolved, anliegen.StatusClosed},
		nil, time.Time{}, time.Time{})
	if !ok {
		return []anliegen.SimilarTicket{}, nil
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.idx == nil {
		return nil, errClosed
	}
	reader, err := x.reader()
	if err != nil {
		return nil, err
	}
	words, err := x.similarWords(ctx, reader, text)
	var exclude []string
	if err == nil && excludeTicket != 0 {
		exclude, err = ticketDocIDs(reader, excludeTicket)
	}
	_ = reader.Close()
	if err != nil {
		return nil, err
	}
	if len(words) == 0 {
		return nil, anliegen.Invalid("text", "has no searchable words")
	}
	should := make([]query.Query, len(words))
	for i, w := range words {
		should[i] = wordQuery(w)
	}
	d := query.NewDisjunctionQuery(should)
	d.SetMin(1)
	b := query.NewBooleanQuery(nil, nil, nil)
	b.Should = d
	if len(exclude) > 0 {
		b.MustNot = query.NewDocIDQuery(exclude)
	}
	b.AddFilter(query.NewConjunctionQuery([]query.Query{filter, query.NewDisjunctionQuery([]query.Query{
		key(keyAnswered, "1"), key(keyDirection, string(anliegen.DirectionOut)),
	})}))
	res, err := x.idx.SearchInContext(ctx, bleve.NewSearchRequestOptions(b, rerankWindow, 0, false))
	if err != nil {
		return nil, fmt.Errorf("similar: %w", err)
	}
	return x.similarTickets(ctx, rerank(res.Hits), scope, limit)
}

// maxSimilarText bounds the text Similar reads; the start of a long mail
// says what it is about.
const maxSimilarText = 4000

// similarWords picks the rarest words of text that occur in the index and
// expands them as a search would.
func (x *Index) similarWords(ctx context.Context, r index.IndexReader, text string) ([]wordTerms, error) {
	type tf struct {
		term string
		df   uint64
	}
	var ts []tf
	seen := map[string]bool{}
	for _, s := range x.an.terms(text) {
		if seen[s] || utf8.RuneCountInString(s) < 3 {
			continue
		}
		seen[s] = true
		df, err := docFreq(ctx, r, s)
		if err != nil {
			return nil, fmt.Errorf("similar: %w", err)
		}
		ts = append(ts, tf{s, df})
	}
	// Rarest first. A word the index does not know, often a typo, comes
	// first and matches through its variants; without any it is dropped.
	sort.SliceStable(ts, func(i, j int) bool { return ts[i].df < ts[j].df })
	var out []wordTerms
	for _, t := range ts {
		if len(out) == maxSimilarTerms {
			break
		}
		w, err := x.an.expand(ctx, r, t.term)
		if err != nil {
			return nil, fmt.Errorf("similar: %w", err)
		}
		if t.df == 0 && len(w.fuzzy) == 0 && len(w.prefix) == 0 && len(w.parts) == 0 {
			continue
		}
		out = append(out, w)
	}
	return out, nil
}

func (x *Index) reader() (index.IndexReader, error) {
	a, err := x.idx.Advanced()
	if err != nil {
		return nil, fmt.Errorf("index reader: %w", err)
	}
	r, err := a.Reader()
	if err != nil {
		return nil, fmt.Errorf("index reader: %w", err)
	}
	return r, nil
}

// similarTickets turns ranked message hits into tickets with question and
// answer from the store: the first inbound and the last outbound message.
func (x *Index) similarTickets(ctx context.Context, dms search.DocumentMatchCollection, scope anliegen.Scope, limit int) ([]anliegen.SimilarTicket, error) {
	var order []int64
	score := map[int64]float64{}
	for _, dm := range dms {
		t, _, err := parseDocID(dm.ID)
		if err != nil {
			return nil, err
		}
		if _, ok := score[t]; !ok {
			score[t] = dm.Score
			order = append(order, t)
		}
	}
	// Ask for a few more than limit: some may have changed since indexing.
	order = order[:min(len(order), 2*limit)]
	out := []anliegen.SimilarTicket{}
	if len(order) == 0 {
		return out, nil
	}
	docs, err := x.opts.Source.IndexDocs(ctx, order)
	if err != nil {
		return nil, fmt.Errorf("load similar tickets: %w", err)
	}
	questions := map[int64]*anliegen.IndexDoc{}
	answers := map[int64]*anliegen.IndexDoc{}
	for i := range docs {
		d := &docs[i]
		switch d.Direction {
		case anliegen.DirectionIn:
			if q := questions[d.TicketID]; q == nil || earlier(d, q) {
				questions[d.TicketID] = d
			}
		case anliegen.DirectionOut:
			if a := answers[d.TicketID]; a == nil || earlier(a, d) {
				answers[d.TicketID] = d
			}
		}
	}
	for _, t := range order {
		q, a := questions[t], answers[t]
		if q == nil || a == nil || !q.Status.Done() || !scope.Allows(q.Department) {
			continue
		}
		out = append(out, anliegen.SimilarTicket{
			TicketID: t, Number: q.Number, Question: docText(q), Answer: a.Text, Score: score[t],
		})
		if len(out) == limit {
			break
		}
	}
	return out, nil
}

// earlier orders messages by time, then ID.
func earlier(a, b *anliegen.IndexDoc) bool {
	if !a.CreatedAt.Equal(b.CreatedAt) {
		return a.CreatedAt.Before(b.CreatedAt)
	}
	return a.MessageID < b.MessageID
}
