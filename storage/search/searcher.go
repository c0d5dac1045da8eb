package search

import (
	"context"
	"fmt"
	"slices"
	"sort"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search"

	"github.com/anliegen/anliegen"
)

// Limits of a search request.
const (
	defaultLimit = 20
	maxLimit     = 100
	maxOffset    = 10000
)

// facetSize is how many values each facet reports (months: the latest).
const facetSize = 30

// Search returns the messages matching q within q.Scope, best first, with
// snippets and facet counts over all matches. EInvalid for an empty or
// malformed query or bad paging.
func (x *Index) Search(ctx context.Context, q anliegen.SearchQuery) (anliegen.SearchResult, error) {
	cs, err := validate(q)
	if err != nil {
		return anliegen.SearchResult{}, err
	}
	empty := anliegen.SearchResult{Hits: []anliegen.SearchHit{}, Facets: facets(nil)}
	filter, ok := filterQuery(q.Scope, q.Departments, q.Platforms, q.Statuses, q.Tags, q.From, q.To)
	if !ok {
		return empty, nil
	}
	limit := q.Limit
	if limit == 0 {
		limit = defaultLimit
	}
	limit = min(limit, maxLimit)

	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.idx == nil {
		return anliegen.SearchResult{}, errClosed
	}
	t, err := x.analyzeQuery(ctx, cs)
	if err != nil {
		return anliegen.SearchResult{}, err
	}
	if len(t.words) == 0 && len(t.phrases) == 0 {
		return anliegen.SearchResult{}, anliegen.Invalid("q", "query has no searchable words")
	}
	// Match all words first and fall back to fewer only when that finds
	// too little (see levels): a broad OR query would score a large share
	// of the index for a first page made of all-word matches anyway.
	window := max(q.Offset+limit, rerankWindow)
	levels := matchLevels(len(t.words))
	var res *bleve.SearchResult
	var fq *facetQuery
	for i, k := range levels {
		last := i == len(levels)-1
		b := textQuery(t, k)
		if filter != nil {
			b.AddFilter(filter)
		}
		fq = &facetQuery{inner: b, cache: x.facets, want: func(n uint64) bool { return last || n >= enoughHits }}
		// Fetch a window of at least rerankWindow hits from the start, so
		// that messages of one ticket can be ranked together, then cut the
		// page.
		req := bleve.NewSearchRequestOptions(fq, window, 0, false)
		if res, err = x.idx.SearchInContext(ctx, req); err != nil {
			return anliegen.SearchResult{}, fmt.Errorf("search: %w", err)
		}
		if last || res.Total >= enoughHits {
			break
		}
	}
	if fq.err != nil {
		return anliegen.SearchResult{}, fmt.Errorf("search: %w", fq.err)
	}
	page := rerank(res.Hits)
	page = page[min(q.Offset, len(page)):min(q.Offset+limit, len(page))]
	hits, err := x.fill(ctx, page, q.Scope, newMatcher(t))
	if err != nil {
		return anliegen.SearchResult{}, err
	}
	out := anliegen.SearchResult{Hits: hits, Total: res.Total, Facets: facets(fq.counts)}
	return out, nil
}

// rerankWindow is how many of the best messages rerank considers.
const rerankWindow = 100

// otherMessages is how much the other matching messages of a ticket add to
// its best one.
const otherMessages = 0.5

// rerank orders message hits by their ticket's score: the best message's
// score plus a share of the others'. A question and its answer both
// matching make a ticket more relevant than one message alone, and the
// messages of a ticket come out next to each other, best first.
func rerank(dms search.DocumentMatchCollection) search.DocumentMatchCollection {
	type group struct {
		score float64
		first int
	}
	groups := map[int64]*group{}
	tickets := make([]int64, len(dms))
	for i, dm := range dms {
		t, _, err := parseDocID(dm.ID)
		if err != nil {
			t = -int64(i) - 1 // keep unparsable IDs apart; fill reports them
		}
		tickets[i] = t
		if g := groups[t]; g != nil {
			g.score += otherMessages * dm.Score
		} else {
			groups[t] = &group{score: dm.Score, first: i}
		}
	}
	idx := make([]int, len(dms))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		ga, gb := groups[tickets[idx[a]]], groups[tickets[idx[b]]]
		if ga != gb {
			if ga.score != gb.score {
				return ga.score > gb.score
			}
			return ga.first < gb.first
		}
		return idx[a] < idx[b]
	})
	out := make(search.DocumentMatchCollection, len(dms))
	for i, j := range idx {
		out[i] = dms[j]
	}
	return out
}

func validate(q anliegen.SearchQuery) ([]clause, error) {
	if len(q.Q) > maxQueryLen {
		return nil, anliegen.Invalid("q", "must be at most %d bytes", maxQueryLen)
	}
	cs := parseQuery(q.Q)
	if len(cs) == 0 {
		return nil, anliegen.Invalid("q", "must not be empty")
	}
	if len(cs) > maxQueryClauses {
		return nil, anliegen.Invalid("q", "must have at most %d words", maxQueryClauses)
	}
	if q.Limit < 0 {
		return nil, anliegen.Invalid("limit", "must not be negative")
	}
	if q.Offset < 0 || q.Offset > maxOffset {
		return nil, anliegen.Invalid("offset", "must be between 0 and %d", maxOffset)
	}
	if !q.From.IsZero() && !q.To.IsZero() && q.To.Before(q.From) {
		return nil, anliegen.Invalid("to", "must not be before from")
	}
	return cs, nil
}

// analyzeQuery analyses the clauses, splitting compounds against the
// current index. Callers hold x.mu.
func (x *Index) analyzeQuery(ctx context.Context, cs []clause) (terms, error) {
	r, err := x.idx.Advanced()
	if err != nil {
		return terms{}, fmt.Errorf("search: %w", err)
	}
	reader, err := r.Reader()
	if err != nil {
		return terms{}, fmt.Errorf("search: %w", err)
	}
	defer reader.Close()
	t, err := x.an.analyze(ctx, cs, reader)
	if err != nil {
		return terms{}, fmt.Errorf("search: %w", err)
	}
	return t, nil
}

// fill turns bleve hits into SearchHits with the current data of the
// store. A hit whose message is gone, or whose ticket moved out of scope
// since it was indexed, is dropped: the store is the truth.
func (x *Index) fill(ctx context.Context, dms search.DocumentMatchCollection, scope anliegen.Scope, m *matcher) ([]anliegen.SearchHit, error) {
	docs, err := x.load(ctx, dms)
	if err != nil {
		return nil, err
	}
	hits := make([]anliegen.SearchHit, 0, len(dms))
	for _, dm := range dms {
		_, msgID, err := parseDocID(dm.ID)
		if err != nil {
			return nil, err
		}
		d, ok := docs[msgID]
		if !ok || !scope.Allows(d.Department) {
			continue
		}
		hits = append(hits, anliegen.SearchHit{
			TicketID:   d.TicketID,
			MessageID:  d.MessageID,
			Number:     d.Number,
			Platform:   d.Platform,
			ExternalID: d.ExternalID,
			Department: d.Department,
			Status:     d.Status,
			Direction:  d.Direction,
			Score:      dm.Score,
			Snippet:    snippet(x.an, m, docText(d)),
			CreatedAt:  d.CreatedAt,
		})
	}
	return hits, nil
}

// load returns the current documents of the hits' tickets by message ID.
func (x *Index) load(ctx context.Context, dms search.DocumentMatchCollection) (map[int64]*anliegen.IndexDoc, error) {
	var ids []int64
	for _, dm := range dms {
		t, _, err := parseDocID(dm.ID)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(ids, t) {
			ids = append(ids, t)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	ds, err := x.opts.Source.IndexDocs(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("load hits: %w", err)
	}
	out := make(map[int64]*anliegen.IndexDoc, len(ds))
	for i := range ds {
		out[ds[i].MessageID] = &ds[i]
	}
	return out, nil
}

func facets(counts map[string]int) map[string][]anliegen.FacetCount {
	out := make(map[string][]anliegen.FacetCount, len(facetKinds))
	for _, name := range facetKinds {
		out[name] = []anliegen.FacetCount{}
	}
	for k, n := range counts {
		if name, ok := facetKinds[k[:min(2, len(k))]]; ok {
			out[name] = append(out[name], anliegen.FacetCount{Term: k[2:], Count: n})
		}
	}
	for name, cs := range out {
		if name == "month" {
			// The latest months.
			sort.Slice(cs, func(i, j int) bool { return cs[i].Term > cs[j].Term })
		} else {
			// The most frequent values, then by name for a stable order.
			sort.Slice(cs, func(i, j int) bool {
				if cs[i].Count != cs[j].Count {
					return cs[i].Count > cs[j].Count
				}
				return cs[i].Term < cs[j].Term
			})
		}
		out[name] = cs[:min(len(cs), facetSize)]
	}
	return out
}
