package bench

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// requiredKeys are the JSON keys scripts rely on; each must be a positive,
// finite number.
var requiredKeys = []string{
	"backfill_msgs_per_s", "raw_sqlite_rows_per_s", "live_p99_ms", "live_items_per_s", "search_p50_ms",
	"search_p99_ms", "fts5_p99_ms", "ws_clients", "ws_p99_ms", "ws_kb_per_conn", "reindex_s", "startup_s",
	"index_bytes_per_text_byte", "db_bytes_per_text_byte", "heap_peak_mb", "rss_peak_mb", "messages",
}

func TestRunTiny(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole benchmark at a tiny size")
	}
	var progress strings.Builder
	r, err := Run(context.Background(), Options{Dir: filepath.Join(t.TempDir(), "scratch"), Messages: 2000,
		WSClients: 100, WSSeconds: 1, SearchRounds: 2, Seed: 3, Progress: &progress})
	if err != nil {
		t.Fatalf("run: %v\n%s", err, progress.String())
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range requiredKeys {
		v, ok := m[k].(float64)
		if !ok {
			t.Errorf("%s: missing or not a number: %v", k, m[k])
			continue
		}
		if !(v > 0) || math.IsInf(v, 0) {
			t.Errorf("%s = %v, want positive and finite", k, v)
		}
	}
	if m["messages"] != 2000.0 || m["ws_clients"] != 100.0 {
		t.Errorf("messages %v ws_clients %v, want the options", m["messages"], m["ws_clients"])
	}
	if r.WSMissed != 0 {
		t.Errorf("%d websocket frames missed", r.WSMissed)
	}
	md := r.Markdown("anliegen bench --messages 2000")
	for _, want := range []string{sectionTitle + "\n", "`anliegen bench --messages 2000`", "| backfill into store + index |"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q", want)
		}
	}
	var table strings.Builder
	if err := r.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(table.String(), "\n"); got != len(r.rows())+3 {
		t.Errorf("table has %d lines, want %d:\n%s", got, len(r.rows())+3, table.String())
	}
}

func TestScratchMustBeEmpty(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "anliegen.db"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), Options{Dir: dir, Messages: 10}); err == nil {
		t.Fatal("run in a non-empty directory: no error")
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "anliegen.db")); string(b) != "x" {
		t.Fatal("run touched the directory")
	}
}

func TestReplaceSection(t *testing.T) {
	const sec = "## anliegen bench\n\nnew\n"
	tests := []struct{ name, doc, want string }{
		{"append", "# Benchmarks\n\n## storage\n\nold\n", "# Benchmarks\n\n## storage\n\nold\n\n" + sec},
		{"replace last", "# B\n\n## anliegen bench\n\nold\nmore\n", "# B\n\n" + sec},
		{"replace middle", "# B\n\n## anliegen bench\n\nold\n\n## search\n\nkeep\n",
			"# B\n\n" + sec + "\n## search\n\nkeep\n"},
		{"subsections belong to it", "## anliegen bench\n### x\nold\n## z\n", sec + "\n## z\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := replaceSection(tt.doc, sec); got != tt.want {
				t.Errorf("got\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func TestWriteSectionCreatesFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "docs", "BENCHMARKS.md")
	if err := WriteSection(path, "## anliegen bench\n\nx\n"); err != nil {
		t.Fatal(err)
	}
	if err := WriteSection(path, "## anliegen bench\n\ny\n"); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), "# Benchmarks\n\n## anliegen bench\n\ny\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// The corpus is a pure function of its seed: anchors and store must see
// the same rows.
func TestCorpusDeterministic(t *testing.T) {
	read := func(seed int64) []genItem {
		c := newCorpus(seed, 500, "")
		var out []genItem
		for {
			it, ok := c.next()
			if !ok {
				return out
			}
			out = append(out, it)
		}
	}
	a, b, other := read(5), read(5), read(6)
	if len(a) != 500 || len(b) != 500 {
		t.Fatalf("got %d and %d items, want 500", len(a), len(b))
	}
	same := 0
	ids := map[string]bool{}
	for i := range a {
		if a[i].item.Text != b[i].item.Text || a[i].item.ExternalID != b[i].item.ExternalID || a[i].channel != b[i].channel {
			t.Fatalf("item %d differs between runs with one seed", i)
		}
		if err := a[i].item.Validate(); err != nil {
			t.Fatalf("item %d invalid: %v", i, err)
		}
		key := string(corpusPlatforms[a[i].channel]) + "/" + a[i].item.ExternalID
		if ids[key] {
			t.Fatalf("item %d: duplicate id %s", i, key)
		}
		ids[key] = true
		if a[i].item.Text == other[i].item.Text {
			same++
		}
	}
	if same > len(a)/2 {
		t.Errorf("%d of %d texts equal under another seed", same, len(a))
	}
}

func BenchmarkCorpus(b *testing.B) {
	c := newCorpus(1, 1<<30, "")
	for b.Loop() {
		if _, ok := c.next(); !ok {
			b.Fatal("corpus ended early")
		}
	}
}

func TestSubject(t *testing.T) {
	long := strings.Repeat("Sperrmüll ", 10) // 100 runes, spaces every 10
	tests := []struct{ in, want string }{
		{"Kurze Frage", "Kurze Frage"},
		{long, strings.TrimSuffix(strings.Repeat("Sperrmüll ", 6), " ") + " …"}, // cut at the last space within 60 runes
		{strings.Repeat("ä", 70), strings.Repeat("ä", 60)},
	}
	for _, tt := range tests {
		if got := subject(tt.in); got != tt.want {
			t.Errorf("subject(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
