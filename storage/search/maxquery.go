package search

import (
	"context"
	"fmt"
	"math"

	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	"github.com/blevesearch/bleve/v2/search/searcher"
	index "github.com/blevesearch/bleve_index_api"
)

// tieBreak is the share of the other matching alternatives' scores that
// maxQuery adds to the best one.
const tieBreak = 0.3

// maxQuery matches documents that match any of its queries and scores
// them by the best match plus a little of the others (a disjunction max).
// bleve's disjunction multiplies the sum by the share of clauses that
// matched, which is right across the words of a query but wrong across
// the spellings of one word: a document with "Laterne" for the query
// "Straßenlaterne" matched one of six alternatives and lost five sixths of
// its score. Here a word's alternatives compete instead.
type maxQuery struct {
	queries []query.Query
}

func (q *maxQuery) Searcher(ctx context.Context, i index.IndexReader, m mapping.IndexMapping,
	options search.SearcherOptions) (search.Searcher, error) {
	var ss []search.Searcher
	closeAll := func() {
		for _, s := range ss {
			_ = s.Close()
		}
	}
	for _, sub := range q.queries {
		s, err := sub.Searcher(ctx, i, m, options)
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("max query: %w", err)
		}
		if _, none := s.(*searcher.MatchNoneSearcher); none {
			_ = s.Close()
			continue
		}
		ss = append(ss, s)
	}
	switch len(ss) {
	case 0:
		return searcher.NewMatchNoneSearcher(i)
	case 1:
		return ss[0], nil
	}
	return &maxSearcher{searchers: ss, currs: make([]*search.DocumentMatch, len(ss)), nums: make([]uint64, len(ss))}, nil
}

// maxSearcher walks its searchers in document order, like bleve's
// disjunction searcher, and scores each document by the best of them.
type maxSearcher struct {
	searchers   []search.Searcher
	currs       []*search.DocumentMatch // current match of each searcher, nil when done
	nums        []uint64                // document number of each current match, done: math.MaxUint64
	matching    []int                   // searchers positioned on the smallest document
	initialized bool
}

func (s *maxSearcher) init(ctx *search.SearchContext) error {
	for i, sub := range s.searchers {
		m, err := sub.Next(ctx)
		if err != nil {
			return err
		}
		s.set(i, m)
	}
	s.initialized = true
	s.update()
	return nil
}

// set makes m the current match of searcher i.
func (s *maxSearcher) set(i int, m *search.DocumentMatch) {
	s.currs[i] = m
	if m == nil {
		s.nums[i] = math.MaxUint64
	} else {
		s.nums[i] = m.IndexInternalID.Value()
	}
}

// update finds the searchers on the smallest current document. Document
// numbers are compared as integers: comparing the byte IDs was a third of
// a search.
func (s *maxSearcher) update() {
	s.matching = s.matching[:0]
	low := uint64(math.MaxUint64)
	for i, n := range s.nums {
		switch {
		case n > low:
		case n < low:
			low = n
			s.matching = append(s.matching[:0], i)
		default:
			if n != math.MaxUint64 {
				s.matching = append(s.matching, i)
			}
		}
	}
}

func (s *maxSearcher) Next(ctx *search.SearchContext) (*search.DocumentMatch, error) {
	if !s.initialized {
		if err := s.init(ctx); err != nil {
			return nil, err
		}
	}
	if len(s.matching) == 0 {
		return nil, nil
	}
	best := s.currs[s.matching[0]]
	sum := 0.0
	for _, i := range s.matching {
		c := s.currs[i]
		sum += c.Score
		if c.Score > best.Score {
			best = c
		}
	}
	best.Score += tieBreak * (sum - best.Score)
	for _, i := range s.matching {
		if s.currs[i] != best {
			best.FieldTermLocations = search.MergeFieldTermLocations(best.FieldTermLocations,
				[]*search.DocumentMatch{s.currs[i]})
			ctx.DocumentMatchPool.Put(s.currs[i])
		}
		m, err := s.searchers[i].Next(ctx)
		if err != nil {
			return nil, err
		}
		s.set(i, m)
	}
	s.update()
	return best, nil
}

func (s *maxSearcher) Advance(ctx *search.SearchContext, id index.IndexInternalID) (*search.DocumentMatch, error) {
	if !s.initialized {
		if err := s.init(ctx); err != nil {
			return nil, err
		}
	}
	target := id.Value()
	for i, sub := range s.searchers {
		if s.nums[i] >= target {
			continue // exhausted, or already there
		}
		ctx.DocumentMatchPool.Put(s.currs[i])
		m, err := sub.Advance(ctx, id)
		if err != nil {
			return nil, err
		}
		s.set(i, m)
	}
	s.update()
	return s.Next(ctx)
}

func (s *maxSearcher) Weight() float64 {
	var w float64
	for _, sub := range s.searchers {
		w += sub.Weight()
	}
	return w
}

func (s *maxSearcher) SetQueryNorm(n float64) {
	for _, sub := range s.searchers {
		sub.SetQueryNorm(n)
	}
}

func (s *maxSearcher) Count() uint64 {
	var n uint64
	for _, sub := range s.searchers {
		n += sub.Count()
	}
	return n
}

func (s *maxSearcher) Close() error {
	var first error
	for _, sub := range s.searchers {
		if err := sub.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

func (s *maxSearcher) Min() int { return 0 }

func (s *maxSearcher) Size() int {
	n := 64 + 8*len(s.currs)
	for _, sub := range s.searchers {
		n += sub.Size()
	}
	return n
}

func (s *maxSearcher) DocumentMatchPoolSize() int {
	n := len(s.currs)
	for _, sub := range s.searchers {
		n += sub.DocumentMatchPoolSize()
	}
	return n
}
