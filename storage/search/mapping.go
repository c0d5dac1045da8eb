package search

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/analysis/char/regexp"
	"github.com/blevesearch/bleve/v2/analysis/lang/de"
	"github.com/blevesearch/bleve/v2/analysis/token/length"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/token/reverse"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/document"
	"github.com/blevesearch/bleve/v2/mapping"
	index "github.com/blevesearch/bleve_index_api"

	"github.com/anliegen/anliegen"
)

// Field names in the bleve documents. Only the document ID is stored: hits
// are filled from the store (SQLite is the truth, invariant 3), which keeps
// the index small and never shows a stale text.
const (
	fieldText     = "text" // subject and text, German analyzer
	fieldReversed = "rev"  // long words reversed, to find words by their ending
	// fieldKeys holds the facet keywords of a document as "<kind>:<value>"
	// (see the key kinds below), for filters and facets. Facets are
	// counted from its postings (see facetQuery), so it has no doc values.
	fieldKeys  = "k"
	fieldFlags = "f" // keys that only filter: direction, answered, day
)

// Key kinds in fieldKeys, and the facet each one feeds.
const (
	keyDepartment = "d:"
	keyPlatform   = "p:"
	keyStatus     = "s:"
	keyTag        = "t:"
	keyMonth      = "m:" // created_at as YYYY-MM
	keyDirection  = "r:"
	keyAnswered   = "a:" // "a:1" on inbound documents of tickets with a reply
	// keyDay is the UTC day of created_at as YYYYMMDD, for date filters:
	// a range of days is a range of terms. A date field would index 16
	// numeric terms per document.
	keyDay = "c:"
)

// facetKinds maps key kinds to facet names in SearchResult.Facets.
var facetKinds = map[string]string{
	keyDepartment: "department", keyPlatform: "platform", keyStatus: "status",
	keyTag: "tag", keyMonth: "month",
}

// Analyzer names, defined in the index mapping itself so that nothing is
// registered globally.
const (
	analyzerDE       = "anliegen_de"
	analyzerReversed = "anliegen_de_reversed"
)

// Compounds: a word of at least minCompound letters may be a compound,
// and its parts have at least minPart letters. fieldReversed holds the
// analysed long words backwards, so that a prefix scan of its term
// dictionary finds the words that end in a query word: "Abfuhr" finds
// "Müllabfuhr", "Steuer" finds "Hundesteuer" (German compounds put the
// head last). Only its dictionary is read, so it keeps no frequencies,
// norms or positions.
const (
	minCompound = 7
	minPart     = 4
)

// newMapping returns the index mapping. Changing it needs a reindex: bump
// mappingVersion.
func newMapping() (*mapping.IndexMappingImpl, error) {
	im := mapping.NewIndexMapping()
	im.ScoringModel = "bm25"
	im.DefaultAnalyzer = analyzerDE
	// German forms the plural of many words ending in a vowel with -s
	// (Kitas, Autos, Handys), which the light stemmer keeps. Dropping the s
	// here, as a space so that offsets stay valid for snippets, makes
	// "Kita" find "Kitas". Words ending in -is, -us or a diphthong keep it:
	// there the s is mostly part of the word (Ergebnis, Status, Preis),
	// and so do words of three letters (das, was). The pattern has no
	// leading repetition, which would make the regexp backtrack.
	if err := im.AddCustomCharFilter("anliegen_plural_s", map[string]any{
		"type": regexp.Name, "regexp": `(\pL[^aeiouäöüAEIOUÄÖÜ\PL][aoyAOY])s(\PL|$)`, "replace": "$1 $2",
	}); err != nil {
		return nil, fmt.Errorf("add char filter: %w", err)
	}
	if err := im.AddCustomTokenFilter("anliegen_long", map[string]any{
		"type": length.Name, "min": float64(minCompound),
	}); err != nil {
		return nil, fmt.Errorf("add filter: %w", err)
	}
	chars := []any{"anliegen_plural_s"}
	base := []any{lowercase.Name, de.StopName, de.NormalizeName, de.LightStemmerName}
	if err := im.AddCustomAnalyzer(analyzerDE, map[string]any{
		"type": custom.Name, "char_filters": chars, "tokenizer": unicode.Name, "token_filters": base,
	}); err != nil {
		return nil, fmt.Errorf("add analyzer: %w", err)
	}
	if err := im.AddCustomAnalyzer(analyzerReversed, map[string]any{
		"type": custom.Name, "char_filters": chars, "tokenizer": unicode.Name,
		"token_filters": append(append([]any{}, base...), "anliegen_long", reverse.Name),
	}); err != nil {
		return nil, fmt.Errorf("add analyzer: %w", err)
	}

	doc := mapping.NewDocumentStaticMapping()
	text := mapping.NewTextFieldMapping()
	text.Analyzer = analyzerDE
	text.Store = false
	text.IncludeInAll = false
	// No positions: they would make the index 1.6 times larger (see
	// docs/BENCHMARKS.md), and in short messages a "phrase" is found well
	// enough by requiring all its words.
	text.IncludeTermVectors = false
	text.DocValues = false
	doc.AddFieldMappingsAt(fieldText, text)

	rev := mapping.NewTextFieldMapping()
	rev.Analyzer = analyzerReversed
	rev.Store = false
	rev.IncludeInAll = false
	rev.IncludeTermVectors = false
	rev.DocValues = false
	rev.SkipFreqNorm = true
	doc.AddFieldMappingsAt(fieldReversed, rev)

	keys := mapping.NewKeywordFieldMapping()
	keys.Store = false
	keys.IncludeInAll = false
	keys.IncludeTermVectors = false
	keys.DocValues = false
	keys.SkipFreqNorm = true
	doc.AddFieldMappingsAt(fieldKeys, keys)
	flags := mapping.NewKeywordFieldMapping()
	flags.Store = false
	flags.IncludeInAll = false
	flags.IncludeTermVectors = false
	flags.DocValues = false
	flags.SkipFreqNorm = true
	doc.AddFieldMappingsAt(fieldFlags, flags)

	// No "_all" composite field: every query names its field, and _all
	// would index all text a second time.
	doc.AddSubDocumentMapping("_all", mapping.NewDocumentDisabledMapping())
	im.DefaultMapping = doc
	im.IndexDynamic = false
	im.StoreDynamic = false
	im.DocValuesDynamic = false
	if err := im.Validate(); err != nil {
		return nil, fmt.Errorf("validate mapping: %w", err)
	}
	return im, nil
}

// docID names a message's document. It carries the ticket ID so that hits
// collapse to tickets without a stored field.
func docID(ticketID, messageID int64) string {
	return strconv.FormatInt(ticketID, 10) + "-" + strconv.FormatInt(messageID, 10)
}

// parseDocID is the inverse of docID.
func parseDocID(id string) (ticketID, messageID int64, err error) {
	t, m, ok := strings.Cut(id, "-")
	if !ok {
		return 0, 0, fmt.Errorf("bad document id %q", id)
	}
	if ticketID, err = strconv.ParseInt(t, 10, 64); err != nil {
		return 0, 0, fmt.Errorf("bad document id %q: %w", id, err)
	}
	if messageID, err = strconv.ParseInt(m, 10, 64); err != nil {
		return 0, 0, fmt.Errorf("bad document id %q: %w", id, err)
	}
	return ticketID, messageID, nil
}

// builder makes bleve documents directly rather than through the
// mapping, so that the text is analysed once for both text fields (see
// docAnalysis). The fields are those newMapping declares.
type builder struct {
	text, keyword analysis.Analyzer
}

func newBuilder(m mapping.IndexMapping) (*builder, error) {
	text, err := newGermanAnalyzer(m)
	if err != nil {
		return nil, err
	}
	b := &builder{text: text, keyword: m.AnalyzerNamed(keyword.Name)}
	if b.keyword == nil {
		return nil, errors.New("index mapping lacks the keyword analyzer")
	}
	return b, nil
}

// document returns what bleve indexes of d. answered says whether d's
// ticket has an outbound message (Similar looks only at those).
func (b *builder) document(d *anliegen.IndexDoc, answered bool) *document.Document {
	text := []byte(docText(d))
	doc := document.NewDocument(docID(d.TicketID, d.MessageID))
	da := &docAnalysis{a: b.text}
	doc.AddField(document.NewTextFieldCustom(fieldText, nil, text, index.IndexField, textTokens{da}))
	doc.AddField(document.NewTextFieldCustom(fieldReversed, nil, text, index.IndexField|index.SkipFreqNorm, reversedTokens{da}))
	keys := []string{keyMonth + d.CreatedAt.UTC().Format("2006-01")}
	for _, kv := range [][2]string{
		{keyDepartment, d.Department}, {keyPlatform, string(d.Platform)}, {keyStatus, string(d.Status)},
	} {
		if kv[1] != "" {
			keys = append(keys, kv[0]+kv[1])
		}
	}
	for _, t := range d.Tags {
		keys = append(keys, keyTag+t)
	}
	opts := index.IndexField | index.SkipFreqNorm
	for i, k := range keys {
		doc.AddField(document.NewTextFieldCustom(fieldKeys, []uint64{uint64(i)}, []byte(k), opts, b.keyword))
	}
	flags := []string{keyDirection + string(d.Direction), dayKey(d.CreatedAt)}
	if answered && d.Direction == anliegen.DirectionIn {
		flags = append(flags, keyAnswered+"1")
	}
	for i, f := range flags {
		doc.AddField(document.NewTextFieldCustom(fieldFlags, []uint64{uint64(i)}, []byte(f), opts, b.keyword))
	}
	doc.SetIndexed()
	return doc
}

// dayKey is the flag of t's UTC day.
func dayKey(t time.Time) string {
	return keyDay + t.UTC().Format("20060102")
}

// docText is the searchable text of d; snippets are cut from the same string.
func docText(d *anliegen.IndexDoc) string {
	if d.Subject == "" {
		return d.Text
	}
	return d.Subject + "\n" + d.Text
}
