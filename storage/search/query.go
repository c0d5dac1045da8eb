package search

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"

	"github.com/anliegen/anliegen"
)

// Boosts of the ways a query word can match, relative to the exact
// (stemmed, umlaut-folded) term. Measured with TestQuality: a fuzzy or
// compound match is worth less than the word itself, so that a document
// with the exact word ranks first.
const (
	boostExact    = 1.0
	boostFuzzy    = 0.5
	boostPrefix   = 0.4
	boostSuffix   = 0.4
	boostHead     = 0.5
	boostModifier = 0.4
)

// fuzziness allows one typo in words of 5 to 9 letters and two in longer
// ones; shorter words would match too many other words.
func fuzziness(term string) int {
	switch n := utf8.RuneCountInString(term); {
	case n >= 10:
		return 2
	case n >= 5:
		return 1
	}
	return 0
}

// terms is what a query matches, for building the bleve query and for
// highlighting snippets.
type terms struct {
	words    []wordTerms // one per analysed word, in query order
	phrases  [][]string  // analysed terms of each required phrase
	excluded [][]string  // analysed terms of each excluded word or phrase
}

// wordTerms is one analysed query term with the index terms it may match
// besides itself.
type wordTerms struct {
	term   string
	fuzzy  []variant // index terms within the term's fuzziness
	prefix []variant // index terms that start with the term
	suffix []variant // compounds that end in the term
	parts  []string  // modifier and head when the term is a compound of known words
	// docs estimates how many documents the word matches: the term's and
	// its variants' document frequencies (an upper bound of the union).
	docs uint64
}

// variant is an index term that a query term matches, with its boost.
type variant struct {
	term  string
	boost float64
	count uint64 // documents holding term
}

// analyzer wraps the German analyzer with the index reader that compound
// splitting consults.
type analyzer struct {
	a analysis.Analyzer
}

// tokens returns the analysed tokens of text with their byte offsets.
func (a analyzer) tokens(text string) analysis.TokenStream {
	return a.a.Analyze([]byte(text))
}

// terms returns the analysed terms of text, stop words removed.
func (a analyzer) terms(text string) []string {
	ts := a.tokens(text)
	out := make([]string, 0, len(ts))
	for _, t := range ts {
		out = append(out, string(t.Term))
	}
	return out
}

// analyze turns parsed clauses into terms. r may be nil (no compound split).
func (a analyzer) analyze(ctx context.Context, cs []clause, r index.IndexReader) (terms, error) {
	var t terms
	for _, c := range cs {
		ts := a.terms(c.Text)
		switch {
		case len(ts) == 0:
		case c.Exclude:
			t.excluded = append(t.excluded, ts)
		case c.Phrase && len(ts) > 1:
			t.phrases = append(t.phrases, ts)
		default:
			for _, term := range ts {
				w := wordTerms{term: term}
				if r != nil {
					var err error
					if w, err = a.expand(ctx, r, term); err != nil {
						return terms{}, err
					}
				}
				t.words = append(t.words, w)
			}
		}
	}
	return t, nil
}

// Limits of the expansion of one query term, so that a short or common
// word cannot turn into a slow query on a large index. The most frequent
// variants are kept.
const (
	maxFuzzyVariants  = 8
	maxPrefixVariants = 3
	maxSuffixVariants = 3
	maxPrefixScan     = 2000
)

// expand looks term up in the index: its spelling variants within the
// fuzziness, longer words it begins (Kita: Kitaplatz; zulassen:
// Zulassung), and its parts if it is a compound. A term the index does not
// know, usually a typo, is split after correcting it to its nearest
// variant ("personalausweiss" splits as "personalausweis").
func (a analyzer) expand(ctx context.Context, r index.IndexReader, term string) (wordTerms, error) {
	w := wordTerms{term: term}
	df, err := docFreq(ctx, r, term)
	if err != nil {
		return w, err
	}
	// A word the index knows well keeps only variants that are rarer
	// than itself: its misspellings and longer compounds. More frequent
	// neighbours are other words ("nacht" is one letter from "nach",
	// "anmelden" from "abmelden"), which cost a search most (they match
	// many documents) and add least. A rare or unknown word is likely a
	// typo, and its frequent neighbours are the corrections.
	maxDF := uint64(math.MaxUint64)
	if n, err := r.DocCount(); err == nil && df >= max(minKnownDF, n/knownShare) {
		maxDF = df * variantRatio
	}
	var fuzzy []variant
	if maxDF == math.MaxUint64 {
		if fuzzy, err = fuzzyVariants(r, term, maxDF); err != nil {
			return w, err
		}
	}
	w.fuzzy = fuzzy
	if w.prefix, err = prefixVariants(r, term, maxDF); err != nil {
		return w, err
	}
	if w.suffix, err = suffixVariants(r, term, maxDF); err != nil {
		return w, err
	}
	w.docs = df
	for _, vs := range [][]variant{w.fuzzy, w.prefix, w.suffix} {
		for _, v := range vs {
			w.docs += v.count
		}
	}
	whole := term
	if df == 0 && len(fuzzy) > 0 {
		whole = fuzzy[0].term
	}
	if w.parts, err = a.split(ctx, r, whole); err != nil {
		return w, err
	}
	return w, nil
}

// A query word is known to the index when at least minKnownDF documents,
// and one in knownShare, hold it; its variants may then be at most
// variantRatio times as frequent as the word (see expand).
const (
	minKnownDF   = 3
	knownShare   = 10000
	variantRatio = 1
)

// fuzzyVariants returns the index terms within term's fuzziness, nearest
// and then most frequent first, boosted by their distance.
func fuzzyVariants(r index.IndexReader, term string, maxDF uint64) ([]variant, error) {
	f := fuzziness(term)
	fr, ok := r.(index.IndexReaderFuzzy)
	if f == 0 || !ok {
		return nil, nil
	}
	_, size := utf8.DecodeRuneInString(term)
	fd, err := fr.FieldDictFuzzy(fieldText, term, f, term[:size])
	if err != nil {
		return nil, fmt.Errorf("fuzzy terms: %w", err)
	}
	defer fd.Close()
	type cand struct {
		term  string
		dist  int
		count uint64
	}
	var cs []cand
	for {
		e, err := fd.Next()
		if err != nil {
			return nil, fmt.Errorf("fuzzy terms: %w", err)
		}
		if e == nil {
			break
		}
		if e.Term != term && e.Count <= maxDF {
			cs = append(cs, cand{e.Term, distance(term, e.Term), e.Count})
		}
	}
	sort.Slice(cs, func(i, j int) bool {
		if cs[i].dist != cs[j].dist {
			return cs[i].dist < cs[j].dist
		}
		return cs[i].count > cs[j].count
	})
	out := make([]variant, 0, min(len(cs), maxFuzzyVariants))
	for _, c := range cs[:min(len(cs), maxFuzzyVariants)] {
		out = append(out, variant{c.term, boostFuzzy / float64(c.dist), c.count})
	}
	return out, nil
}

// prefixVariants returns the most frequent index terms that begin with
// term. The boost falls with the share of the variant that term covers:
// "zulass" says more about "zulassung" than "kita" about
// "kitagebuhrensatzung".
func prefixVariants(r index.IndexReader, term string, maxDF uint64) ([]variant, error) {
	n := utf8.RuneCountInString(term)
	if n < minPart {
		return nil, nil
	}
	fd, err := r.FieldDictPrefix(fieldText, []byte(term))
	if err != nil {
		return nil, fmt.Errorf("prefix terms: %w", err)
	}
	defer fd.Close()
	var es []index.DictEntry
	for range maxPrefixScan {
		e, err := fd.Next()
		if err != nil {
			return nil, fmt.Errorf("prefix terms: %w", err)
		}
		if e == nil {
			break
		}
		if e.Term != term && e.Count <= maxDF {
			es = append(es, *e)
		}
	}
	sort.Slice(es, func(i, j int) bool { return es[i].Count > es[j].Count })
	out := make([]variant, 0, min(len(es), maxPrefixVariants))
	for _, e := range es[:min(len(es), maxPrefixVariants)] {
		share := float64(n) / float64(utf8.RuneCountInString(e.Term))
		out = append(out, variant{e.Term, boostPrefix * (0.5 + 0.5*share), e.Count})
	}
	return out, nil
}

// suffixVariants returns the most frequent compounds in the index that
// end in term (found backwards in fieldReversed), with at least minPart-1
// letters before it.
func suffixVariants(r index.IndexReader, term string, maxDF uint64) ([]variant, error) {
	n := utf8.RuneCountInString(term)
	if n < minPart {
		return nil, nil
	}
	fd, err := r.FieldDictPrefix(fieldReversed, []byte(reverseString(term)))
	if err != nil {
		return nil, fmt.Errorf("suffix terms: %w", err)
	}
	defer fd.Close()
	var es []index.DictEntry
	for range maxPrefixScan {
		e, err := fd.Next()
		if err != nil {
			return nil, fmt.Errorf("suffix terms: %w", err)
		}
		if e == nil {
			break
		}
		if utf8.RuneCountInString(e.Term) >= n+minPart-1 && e.Count <= maxDF {
			es = append(es, *e)
		}
	}
	sort.Slice(es, func(i, j int) bool { return es[i].Count > es[j].Count })
	out := make([]variant, 0, min(len(es), maxSuffixVariants))
	for _, e := range es[:min(len(es), maxSuffixVariants)] {
		out = append(out, variant{reverseString(e.Term), boostSuffix, e.Count})
	}
	return out, nil
}

// reverseString reverses s as bleve's reverse filter does: by runes,
// keeping combining marks after their base letter.
func reverseString(s string) string {
	rs := []rune(s)
	out := make([]rune, 0, len(rs))
	for j := len(rs); j > 0; {
		i := j - 1
		for i > 0 && unicode.In(rs[i], unicode.Mn, unicode.Me, unicode.Mc) {
			i--
		}
		out = append(out, rs[i:j]...)
		j = i
	}
	return string(out)
}

// linkers are the German linking elements (Fugenelemente) that may sit
// between the parts of a compound: Hund-e-steuer, Bibliothek-s-ausweis.
var linkers = []string{"", "s", "es", "e", "n", "en", "er"}

// split splits a compound term into two words that both occur in the
// index, such as "hundesteu" into "hund" and "steu", so that a query for
// "Hundesteuer" finds "Steuer für den Hund". Among several splits it takes
// the one whose rarer part is most common. Nil when there is none.
func (a analyzer) split(ctx context.Context, r index.IndexReader, term string) ([]string, error) {
	runes := []rune(term)
	if len(runes) < minCompound {
		return nil, nil
	}
	var best []string
	var bestDF uint64
	for i := minPart; i <= len(runes)-minPart; i++ {
		head := string(runes[i:])
		headDF, err := docFreq(ctx, r, head)
		if err != nil || headDF == 0 {
			if err != nil {
				return nil, err
			}
			continue
		}
		for _, l := range linkers {
			left := string(runes[:i])
			if l != "" {
				var ok bool
				if left, ok = strings.CutSuffix(left, l); !ok || utf8.RuneCountInString(left) < minPart-1 {
					continue
				}
			}
			ts := a.terms(left)
			if len(ts) != 1 {
				continue
			}
			df, err := docFreq(ctx, r, ts[0])
			if err != nil {
				return nil, err
			}
			if m := min(df, headDF); m > bestDF {
				best, bestDF = []string{ts[0], head}, m
			}
		}
	}
	return best, nil
}

// docFreq returns the number of documents whose text holds term.
func docFreq(ctx context.Context, r index.IndexReader, term string) (uint64, error) {
	tfr, err := r.TermFieldReader(ctx, []byte(term), fieldText, false, false, false)
	if err != nil {
		return 0, fmt.Errorf("read term: %w", err)
	}
	n := tfr.Count()
	if err := tfr.Close(); err != nil {
		return 0, fmt.Errorf("close term reader: %w", err)
	}
	return n, nil
}

// enoughHits is how many matching messages a match level must find for
// Search to stop there: more than two result pages. bleve's OR ranking
// (whose coordination factor puts documents with more of the words
// first) would fill its first pages with them too, so the documents with
// fewer words need not be scored. 100 (the rerank window) kept the same
// quality and sent more three-word queries on to the slow any-word level.
const enoughHits = 50

// levelRarest is the match level that requires the query's rarest word
// and lets the others only add to the score: before falling back to any
// word, where a common word ("anmelden") would make a search score tens
// of thousands of documents that hold nothing specific to the query.
const levelRarest = -1

// matchLevels returns how many of n query words a document must match, in
// the order Search tries them: all, then all but one (for three words or
// more), then the rarest word, then any.
func matchLevels(n int) []int {
	switch {
	case n <= 1:
		return []int{1}
	case n == 2:
		return []int{2, levelRarest, 1}
	}
	return []int{n, n - 1, levelRarest, 1}
}

// textQuery builds the scoring part of a search: every word may match
// exactly, with typos, as the ending of a compound, or split into its
// parts, and a document must match at least k words. Documents matching
// more words score higher (bleve's coordination factor). The words of
// "phrases" are required, exclusions forbidden.
func textQuery(t terms, k int) *query.BooleanQuery {
	words := make([]query.Query, len(t.words))
	for i, w := range t.words {
		words[i] = wordQuery(w)
	}
	var must, mustNot []query.Query
	for _, p := range t.phrases {
		// Without positions in the index, a phrase requires its words.
		for _, s := range p {
			must = append(must, term(fieldText, s, boostExact))
		}
	}
	for _, e := range t.excluded {
		// An excluded phrase excludes documents with all its words.
		all := make([]query.Query, len(e))
		for i, s := range e {
			all[i] = term(fieldText, s, 1)
		}
		mustNot = append(mustNot, query.NewConjunctionQuery(all))
	}
	b := query.NewBooleanQuery(must, nil, mustNot)
	switch {
	case len(words) == 0:
	case k == levelRarest:
		rare := 0
		for i, w := range t.words {
			if w.docs < t.words[rare].docs {
				rare = i
			}
		}
		b.AddMust(words[rare])
		others := append(slices.Clone(words[:rare]), words[rare+1:]...)
		b.AddShould(others...)
	case k >= len(words):
		b.AddMust(words...)
	case k <= 1:
		d := query.NewDisjunctionQuery(words)
		if len(must) == 0 {
			d.SetMin(1)
		}
		b.Should = d
	default:
		// At least k words. bleve's disjunction with a minimum walks the
		// union of the words' postings, which measured faster than a
		// disjunction of the k-word conjunctions for three-word queries
		// (whose leapfrogging advances every alternative of every word).
		d := query.NewDisjunctionQuery(words)
		d.SetMin(float64(k))
		b.AddMust(d)
	}
	return b
}

// wordQuery matches one query term in any of its forms; the best form
// counts (see maxQuery).
func wordQuery(w wordTerms) query.Query {
	alts := []query.Query{term(fieldText, w.term, boostExact)}
	for _, v := range w.fuzzy {
		alts = append(alts, term(fieldText, v.term, v.boost))
	}
	for _, v := range w.prefix {
		alts = append(alts, term(fieldText, v.term, v.boost))
	}
	for _, v := range w.suffix {
		alts = append(alts, term(fieldText, v.term, v.boost))
	}
	if len(w.parts) == 2 {
		// The head of a German compound names what it is (a
		// Straßenlaterne is a Laterne);
		// the modifier only narrows it: alone ("Straße") it is another
		// thing, together with the head ("Steuer für den Hund") it is
		// nearly the compound.
		both := query.NewConjunctionQuery([]query.Query{
			term(fieldText, w.parts[0], 1), term(fieldText, w.parts[1], 1),
		})
		both.SetBoost(boostModifier)
		alts = append(alts, term(fieldText, w.parts[1], boostHead), both)
	}
	return &maxQuery{queries: alts}
}

func term(field, t string, boost float64) query.Query {
	q := query.NewTermQuery(t)
	q.SetField(field)
	q.SetBoost(boost)
	return q
}

// anyKey matches documents with one of the keys kind+value.
func anyKey(kind string, values []string) query.Query {
	qs := make([]query.Query, 0, len(values))
	for _, v := range values {
		qs = append(qs, key(kind, v))
	}
	return query.NewDisjunctionQuery(qs)
}

func key(kind, value string) query.Query {
	if kind == keyDirection || kind == keyAnswered {
		return term(fieldFlags, kind+value, 1)
	}
	return term(fieldKeys, kind+value, 1)
}

// filterQuery is the non-scoring part of a search: scope first (invariant
// 5), then the user's filters. ok is false when the scope sees nothing; q
// is nil when nothing needs filtering (a filter over all documents would
// cost a step per hit).
func filterQuery(scope anliegen.Scope, departments []string, platforms []anliegen.Platform,
	statuses []anliegen.Status, tags []string, from, to time.Time) (q query.Query, ok bool) {
	var fs []query.Query
	if !scope.All {
		var ds []string
		for _, d := range scope.Departments {
			if d != "" {
				ds = append(ds, d)
			}
		}
		if len(ds) == 0 {
			return nil, false
		}
		fs = append(fs, anyKey(keyDepartment, ds))
	}
	if len(departments) > 0 {
		fs = append(fs, anyKey(keyDepartment, departments))
	}
	if len(platforms) > 0 {
		ps := make([]string, len(platforms))
		for i, p := range platforms {
			ps[i] = string(p)
		}
		fs = append(fs, anyKey(keyPlatform, ps))
	}
	if len(statuses) > 0 {
		ss := make([]string, len(statuses))
		for i, s := range statuses {
			ss[i] = string(s)
		}
		fs = append(fs, anyKey(keyStatus, ss))
	}
	for _, tag := range tags {
		fs = append(fs, key(keyTag, tag))
	}
	if !from.IsZero() || !to.IsZero() {
		// Dates are indexed by UTC day (see dayKey): the range covers the
		// days of from through to, to's day only if to is past midnight.
		lo, hi := keyDay, keyDay+"~" // "~" sorts after every digit
		if !from.IsZero() {
			lo = dayKey(from)
		}
		if !to.IsZero() {
			end := to.UTC()
			if end.Equal(end.Truncate(24 * time.Hour)) {
				end = end.Add(-time.Nanosecond)
			}
			hi = dayKey(end)
		}
		incl := true
		r := query.NewTermRangeInclusiveQuery(lo, hi, &incl, &incl)
		r.SetField(fieldFlags)
		fs = append(fs, r)
	}
	if len(fs) == 0 {
		return nil, true
	}
	return query.NewConjunctionQuery(fs), true
}
