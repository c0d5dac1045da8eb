package bench

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"text/tabwriter"
)

// row is one line of the results table.
type row struct {
	measure, value, anchor, goal string
	met                          bool
}

// fullSize is the corpus size the goals for reindex and startup name.
const fullSize = 1_000_000

func (r *Result) rows() []row {
	ratio := r.BackfillMsgsPerS / r.RawSQLiteRowsPerS
	vsFTS := r.FTS5P99MS / r.SearchP99MS
	reindexAt1M := r.ReindexS * fullSize / float64(r.Messages)
	reindexValue := fmt.Sprintf("%.1f s", r.ReindexS)
	if r.Messages != fullSize {
		reindexValue += fmt.Sprintf(" (%.0f s per 1M, linear)", reindexAt1M)
	}
	return []row{
		{"backfill into store + index", fmt.Sprintf("%s msgs/s", num(r.BackfillMsgsPerS)),
			fmt.Sprintf("plain batched SQLite inserts %s rows/s; ratio 1/%.1f", num(r.RawSQLiteRowsPerS), 1/ratio),
			"≥ 1/8 of raw and ≥ 20,000/s", ratio >= 1.0/8 && r.BackfillMsgsPerS >= 20000},
		{"live ingest, commit + index + frame, p50 / p99", fmt.Sprintf("%.1f / %.1f ms", r.LiveP50MS, r.LiveP99MS),
			fmt.Sprintf("commit alone p99 %.1f ms", r.LiveIngestP99MS), "p99 ≤ 50 ms", r.LiveP99MS <= 50},
		{"live ingest, sustained one item at a time", fmt.Sprintf("%s items/s", num(r.LiveItemsPerS)), "",
			"≥ 1,000/s", r.LiveItemsPerS >= 1000},
		{fmt.Sprintf("search p50 / p99 (%d queries)", r.SearchQueries), fmt.Sprintf("%.2f / %.2f ms", r.SearchP50MS, r.SearchP99MS),
			fmt.Sprintf("FTS5 %.2f / %.2f ms; FTS5 p99 ÷ ours %.1f×", r.FTS5P50MS, r.FTS5P99MS, vsFTS),
			"p99 ≤ 25 ms and ≥ 2× better than FTS5", r.SearchP99MS <= 25 && vsFTS >= 2},
		{fmt.Sprintf("websocket fan-out, %d clients, %.0f events/s: delivery p50 / p99", r.WSClients, r.WSEventsPerS),
			fmt.Sprintf("%.1f / %.1f ms", r.WSP50MS, r.WSP99MS), fmt.Sprintf("%d frames missed", r.WSMissed),
			"", true},
		{"memory per websocket connection (server side)", fmt.Sprintf("%.1f KB", r.WSKBPerConn),
			fmt.Sprintf("%.1f KB with our minimal client; client alone %.1f KB", r.WSKBPerConnMeasure, r.WSKBPerConnClient),
			"", true},
		{"reindex all messages", reindexValue, fmt.Sprintf("backfill %.1f s", float64(r.Messages)/r.BackfillMsgsPerS),
			"≤ 60 s at 1M", reindexAt1M <= 60},
		{"startup to ready (open store + index)", fmt.Sprintf("%.3f s", r.StartupS), "", "≤ 1 s at 1M", r.StartupS <= 1},
		{"index size ÷ raw text", fmt.Sprintf("%.2f×", r.IndexBytesPerTextByte),
			fmt.Sprintf("index %s, text %s", mb(r.IndexBytes), mb(r.TextBytes)), "≤ 1×", r.IndexBytesPerTextByte <= 1},
		{"database size ÷ raw text", fmt.Sprintf("%.2f×", r.DBBytesPerTextByte),
			fmt.Sprintf("database %s", mb(r.DBBytes)), "≤ 1.6×", r.DBBytesPerTextByte <= 1.6},
		{"heap peak (whole process)", fmt.Sprintf("%.0f MB", r.HeapPeakMB), "", "≤ 256 MB", r.HeapPeakMB <= 256},
		{"RSS peak (whole process, VmHWM)", fmt.Sprintf("%.0f MB", r.RSSPeakMB), "", "≤ 512 MB", r.RSSPeakMB <= 512},
	}
}

func metText(r row) string {
	switch {
	case r.goal == "":
		return "–"
	case r.met:
		return "met"
	}
	return "not met"
}

// WriteTable prints the results as an aligned text table.
func (r *Result) WriteTable(w io.Writer) error {
	fmt.Fprintf(w, "anliegen bench: %s messages, %d cores, %s, %s, load average %.1f → %.1f\n\n",
		num(float64(r.Messages)), r.Cores, r.GoVersion, r.Date.Format("2006-01-02 15:04 UTC"), r.LoadStart, r.LoadEnd)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MEASURE\tANLIEGEN\tANCHOR (same run, same data)\tGOAL\tMET")
	for _, x := range r.rows() {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", x.measure, x.value, x.anchor, x.goal, metText(x))
	}
	return tw.Flush()
}

// Markdown returns the "## anliegen bench" section for docs/BENCHMARKS.md.
func (r *Result) Markdown(command string) string {
	var b strings.Builder
	b.WriteString(sectionTitle + "\n\n")
	b.WriteString("Built-in benchmark: `anliegen bench` builds a store and a search index from a generated corpus " +
		"(fictional German inquiries and replies in the style of `testdata/inquiries-dev.jsonl`, fixed seed) " +
		"in a scratch directory and measures each figure beside an anchor from the same run on the same data.\n\n")
	fmt.Fprintf(&b, "- Command: `%s`\n", command)
	fmt.Fprintf(&b, "- Machine: %d cores, %s %s/%s; %s; load average %.1f at the start, %.1f at the end "+
		"(other work shares the machine)\n", r.Cores, r.GoVersion, runtime.GOOS, runtime.GOARCH,
		r.Date.Format("2006-01-02 15:04 UTC"), r.LoadStart, r.LoadEnd)
	fmt.Fprintf(&b, "- Corpus: %s messages, seed %d, %s of message text; whole run %.0f s wall, %.0f s CPU\n\n",
		num(float64(r.Messages)), r.Seed, mb(r.TextBytes), r.TotalS, r.CPUS)
	if r.LoadStart > float64(r.Cores) || r.LoadEnd > float64(r.Cores) {
		b.WriteString("The machine was oversubscribed during this run (load average above the core count): " +
			"wall-clock figures include waiting for a CPU, so the ratios to the anchors measured in the same " +
			"run say more than the absolute times.\n\n")
	}
	b.WriteString("| measure | anliegen | anchor (same run, same data) | goal | met |\n|---|---|---|---|---|\n")
	for _, x := range r.rows() {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", x.measure, x.value, x.anchor, x.goal, metText(x))
	}
	b.WriteString(methodNotes)
	return b.String()
}

const sectionTitle = "## anliegen bench"

const methodNotes = `
How each figure is measured:

- Backfill: the corpus goes through ` + "`storage.Ingest`" + ` in batches of 1,000 items per channel while the
  indexer follows the events log; the clock stops when the index has applied the last event. The anchor inserts
  the same rows in the same batches into one SQLite table with the same pragmas (WAL, synchronous=NORMAL) and the
  same unique key, nothing else. Generating the items is not timed in either.
- Live ingest: with the server on 127.0.0.1 and one websocket client logged in through the API, items go one at
  a time through ` + "`Ingest`" + `; an item is done when its transaction committed, the index checkpoint passed its
  last event and the client received that event's frame. p50/p99 come from a run paced at 50 items/s; the
  sustained rate from an unpaced run, until the last item is done.
- Search: fixed staff queries (some misspelled, compounds), each warmed once, then timed in seeded shuffled rounds,
  through ` + "`Search`" + ` (20 hits, facets, snippets loaded from the store). The anchor is SQLite FTS5 (unicode61)
  over the same message texts, OR of the words, bm25, 20 rows with snippets.
- Websocket fan-out: every client shares one session; events are messages added to one conversation at 20/s;
  delay is from the ` + "`Ingest`" + ` call to each client's frame. Clients run in the same process with a hand-written
  minimal client (one goroutine, 512-byte buffer). Memory per connection is the growth of Go heap and stacks
  (after GC, with the indexer paused) from connecting them, minus the growth measured for as many bare loopback
  connections with the same client goroutine and buffer; the "with our minimal client" figure is before that subtraction.
- Reindex: ` + "`(*search.Index).Rebuild`" + ` from the store; below 1M messages the goal is checked by linear
  extrapolation. Startup: after closing everything, ` + "`storage.Open`" + ` + ` + "`search.Open`" + ` + ` + "`IndexLag`" + `.
- Sizes are files on disk after close (database with WAL; all index files) over the bytes of message text.
  Heap peak samples runtime/metrics every 50 ms; RSS peak is VmHWM; both are the whole benchmark process,
  anchors and clients included.
`

// WriteSection replaces the "## anliegen bench" section of the Markdown
// file at path with section, leaving the other sections alone; it creates
// the file when there is none.
func WriteSection(path, section string) error {
	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("read %s: %w", path, err)
	}
	var out string
	if len(old) == 0 {
		out = "# Benchmarks\n\n" + section
	} else {
		out = replaceSection(string(old), section)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(out), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// replaceSection swaps the section that starts with sectionTitle (up to
// the next second-level heading) for section, or appends section.
func replaceSection(doc, section string) string {
	lines := strings.SplitAfter(doc, "\n")
	start, end := -1, len(lines)
	for i, l := range lines {
		t := strings.TrimRight(l, "\r\n")
		if start < 0 {
			if t == sectionTitle {
				start = i
			}
			continue
		}
		if strings.HasPrefix(t, "## ") {
			end = i
			break
		}
	}
	if start < 0 {
		return strings.TrimRight(doc, "\n") + "\n\n" + section
	}
	tail := strings.Join(lines[end:], "")
	if tail != "" {
		section += "\n"
	}
	return strings.Join(lines[:start], "") + section + tail
}

// num formats a count with thousands separators.
func num(v float64) string {
	s := fmt.Sprintf("%.0f", v)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func mb(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/(1<<20)) }
