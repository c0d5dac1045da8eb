package search

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"
	segment "github.com/blevesearch/scorch_segment_api/v2"
)

// facetQuery wraps the query of a search and counts its matches per
// facet key without doc values: its searcher looks each match up in a
// per-segment table of the document's keys (facetTable, built once per
// segment from the keys' postings and cached, since segments never
// change) and adds one to each. That is a few array increments per match,
// where bleve's doc-value facets cost a doc value decode and map updates
// per match and were four fifths of a broad search. The counts see
// exactly the documents the collector sees, filters and scope included,
// on the same index snapshot.
type facetQuery struct {
	inner query.Query
	cache *facetCache
	// want says whether to count facets for a search of n matches; a
	// search that will be thrown away (see Search's levels) skips them.
	want func(n uint64) bool
	// counts is set when the searcher has run to the end: matches by key.
	counts map[string]int
	err    error
}

func (q *facetQuery) Searcher(ctx context.Context, r index.IndexReader, m mapping.IndexMapping,
	options search.SearcherOptions) (search.Searcher, error) {
	snap, ok := r.(*scorch.IndexSnapshot)
	if !ok {
		return nil, fmt.Errorf("facets: index reader is %T, not a scorch snapshot", r)
	}
	s, err := q.inner.Searcher(ctx, r, m, options)
	if err != nil {
		return nil, err
	}
	segs := snap.Segments()
	q.cache.keep(segs)
	fs := &facetSearcher{Searcher: s, q: q, segs: segs,
		offsets: make([]uint64, len(segs)+1), tables: make([]*facetTable, len(segs)),
		counts: make([][]int32, len(segs))}
	// Global document numbers run through the segments in order, each
	// segment taking as many as it holds, deleted ones included (as
	// scorch numbers them).
	for i, ss := range segs {
		fs.offsets[i+1] = fs.offsets[i] + ss.Segment().Count()
	}
	return fs, nil
}

// facetSearcher counts the matches of the wrapped searcher; see facetQuery.
type facetSearcher struct {
	search.Searcher
	q       *facetQuery
	segs    []*scorch.SegmentSnapshot
	offsets []uint64      // first global document number of each segment; last: the end
	tables  []*facetTable // per segment, loaded at its first match
	counts  [][]int32     // per segment, matches by table key
	seg     int           // segment of the last match (matches come in order)
	n       uint64
	done    bool
}

func (s *facetSearcher) Next(ctx *search.SearchContext) (*search.DocumentMatch, error) {
	dm, err := s.Searcher.Next(ctx)
	return s.record(dm, err)
}

func (s *facetSearcher) Advance(ctx *search.SearchContext, id index.IndexInternalID) (*search.DocumentMatch, error) {
	dm, err := s.Searcher.Advance(ctx, id)
	return s.record(dm, err)
}

func (s *facetSearcher) record(dm *search.DocumentMatch, err error) (*search.DocumentMatch, error) {
	if err != nil {
		return nil, err
	}
	if dm == nil {
		if !s.done {
			s.done = true
			if s.q.want == nil || s.q.want(s.n) {
				s.q.counts = s.result()
			}
		}
		return nil, nil
	}
	s.n++
	if s.q.err == nil {
		num := dm.IndexInternalID.Value()
		if num < s.offsets[s.seg] {
			s.seg = 0 // out of order (never from a collector): search again
		}
		for s.seg < len(s.segs)-1 && num >= s.offsets[s.seg+1] {
			s.seg++
		}
		t := s.tables[s.seg]
		if t == nil {
			if t, err = s.q.cache.table(s.segs[s.seg].Segment()); err != nil {
				// Facets are lost, the search is not.
				s.q.err = err
				return dm, nil
			}
			s.tables[s.seg] = t
			s.counts[s.seg] = make([]int32, len(t.keys))
		}
		c := s.counts[s.seg]
		local := num - s.offsets[s.seg]
		if local+1 < uint64(len(t.offs)) {
			for _, k := range t.ids[t.offs[local]:t.offs[local+1]] {
				c[k]++
			}
		}
	}
	return dm, nil
}

// result sums the counts of all segments by key.
func (s *facetSearcher) result() map[string]int {
	out := map[string]int{}
	for i, t := range s.tables {
		if t == nil {
			continue
		}
		for k, n := range s.counts[i] {
			if n > 0 {
				out[t.keys[k]] += int(n)
			}
		}
	}
	return out
}

// facetTable lists the facet keys of every document of one segment: the
// keys of local document d are keys[ids[offs[d]:offs[d+1]]].
type facetTable struct {
	keys []string
	offs []uint32
	ids  []uint16
}

// size is the table's memory in bytes, roughly.
func (t *facetTable) size() int { return 4*len(t.offs) + 2*len(t.ids) + 24*len(t.keys) }

// facetCache holds the facet tables of the segments in use. Segments are
// immutable, so a table stays right as long as its segment lives; tables
// of segments that merges replaced are dropped (see keep).
type facetCache struct {
	mu     sync.Mutex
	tables map[segment.Segment]*facetTable
}

func newFacetCache() *facetCache {
	return &facetCache{tables: map[segment.Segment]*facetTable{}}
}

func (c *facetCache) table(seg segment.Segment) (*facetTable, error) {
	c.mu.Lock()
	t := c.tables[seg]
	c.mu.Unlock()
	if t != nil {
		return t, nil
	}
	t, err := buildFacetTable(seg)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.tables[seg] = t
	c.mu.Unlock()
	return t, nil
}

// keep drops the tables of segments that are not in segs. Searches on an
// older snapshot may rebuild a dropped table; that costs time, not
// correctness.
func (c *facetCache) keep(segs []*scorch.SegmentSnapshot) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.tables) <= len(segs) {
		return
	}
	live := make(map[segment.Segment]bool, len(segs))
	for _, ss := range segs {
		live[ss.Segment()] = true
	}
	for seg := range c.tables {
		if !live[seg] {
			delete(c.tables, seg)
		}
	}
}

// buildFacetTable inverts the postings of the facet keys of seg.
func buildFacetTable(seg segment.Segment) (*facetTable, error) {
	dict, err := seg.Dictionary(fieldKeys)
	if err != nil {
		return nil, fmt.Errorf("facets: %w", err)
	}
	n := seg.Count()
	t := &facetTable{offs: make([]uint32, n+1)}
	type posting struct {
		key  uint16
		docs *roaring.Bitmap
	}
	var ps []posting
	it := dict.AutomatonIterator(nil, nil, nil)
	for {
		e, err := it.Next()
		if err != nil {
			return nil, fmt.Errorf("facets: %w", err)
		}
		if e == nil {
			break
		}
		if _, ok := facetKinds[e.Term[:min(2, len(e.Term))]]; !ok {
			continue
		}
		if len(t.keys) == 1<<16 {
			return nil, errors.New("facets: too many facet keys in a segment")
		}
		pl, err := dict.PostingsList([]byte(e.Term), nil, nil)
		if err != nil {
			return nil, fmt.Errorf("facets: %w", err)
		}
		docs, err := postingDocs(pl.Iterator(false, false, false, nil))
		if err != nil {
			return nil, err
		}
		ps = append(ps, posting{uint16(len(t.keys)), docs})
		t.keys = append(t.keys, e.Term)
		for it := docs.Iterator(); it.HasNext(); {
			if d := it.Next(); uint64(d) < n {
				t.offs[d+1]++
			}
		}
	}
	for d := range n {
		t.offs[d+1] += t.offs[d]
	}
	t.ids = make([]uint16, t.offs[n])
	fill := slices.Clone(t.offs[:n])
	for _, p := range ps {
		for it := p.docs.Iterator(); it.HasNext(); {
			if d := it.Next(); uint64(d) < n {
				t.ids[fill[d]] = p.key
				fill[d]++
			}
		}
	}
	return t, nil
}

// postingDocs returns the documents a postings iterator lists.
func postingDocs(it segment.PostingsIterator) (*roaring.Bitmap, error) {
	if o, ok := it.(segment.OptimizablePostingsIterator); ok {
		if bm := o.ActualBitmap(); bm != nil {
			return bm, nil
		}
		if d, ok := o.DocNum1Hit(); ok {
			return roaring.BitmapOf(uint32(d)), nil
		}
	}
	// Not zap's iterator, or an empty list: walk the postings.
	bm := roaring.New()
	for {
		p, err := it.Next()
		if err != nil {
			return nil, fmt.Errorf("facets: %w", err)
		}
		if p == nil {
			return bm, nil
		}
		bm.Add(uint32(p.Number()))
	}
}
