package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// run runs Main in-process with stdin and returns exit code and outputs.
func run(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := Env{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}
	code := Main(context.Background(), args, env)
	return code, out.String(), errb.String()
}

func sampleFile(t *testing.T, bad bool) string {
	t.Helper()
	b, err := os.ReadFile("../../testdata/inquiries-dev.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if bad {
		lines := strings.SplitAfter(string(b), "\n")
		// Line 3 is not JSON, line 5 lacks its text, line 7 names an unknown platform.
		lines[2] = "{not json\n"
		lines[4] = strings.Replace(lines[4], `"text": "`, `"text_": "`, 1)
		lines[6] = strings.Replace(lines[6], `"platform": "`, `"platform": "myspace`, 1)
		b = []byte(strings.Join(lines, ""))
	}
	p := filepath.Join(t.TempDir(), "in.jsonl")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestImportSearchStatusBackup(t *testing.T) {
	data := t.TempDir()
	file := sampleFile(t, true)
	code, out, errs := run(t, "", "--data", data, "import", file)
	if code != 0 {
		t.Fatalf("import: %d %s", code, errs)
	}
	for _, line := range []string{"line 3:", "line 5:", "line 7:"} {
		if !strings.Contains(errs, line) {
			t.Errorf("import stderr lacks %q: %s", line, errs)
		}
	}
	if !strings.Contains(out, "397 new tickets") {
		t.Errorf("first import: %s", out)
	}
	if code, out, _ = run(t, "", "--data", data, "import", file); code != 0 || !strings.Contains(out, "0 new tickets, 397 already present") {
		t.Errorf("second import: %d %s", code, out)
	}

	code, out, errs = run(t, "", "--data", data, "search", "--json", "--limit", "5", "Sperrmüll anmelden")
	if code != 0 {
		t.Fatalf("search: %d %s", code, errs)
	}
	hits := decodeLines(t, out)
	if len(hits) == 0 {
		t.Fatal("search found nothing")
	}
	for _, h := range hits {
		for _, k := range []string{"ticket_id", "message_id", "platform", "external_id", "score", "snippet"} {
			if _, ok := h[k]; !ok {
				t.Errorf("hit lacks %q: %v", k, h)
			}
		}
		if h["department"] != "abfall" {
			t.Errorf("hit for Sperrmüll in department %v", h["department"])
		}
	}

	code, out, errs = run(t, "", "--data", data, "status", "--json")
	if code != 0 {
		t.Fatalf("status: %d %s", code, errs)
	}
	var st map[string]any
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("status json: %v: %s", err, out)
	}
	if st["tickets"] != float64(397) || st["index_lag"] != float64(0) || st["schema_version"] == float64(0) {
		t.Errorf("status = %v", st)
	}
	for _, k := range []string{"tickets", "messages", "indexed", "index_lag", "schema_version"} {
		if _, ok := st[k]; !ok {
			t.Errorf("status lacks %q", k)
		}
	}

	backup := filepath.Join(t.TempDir(), "b.db")
	if code, _, errs = run(t, "", "--data", data, "backup", backup); code != 0 {
		t.Fatalf("backup: %s", errs)
	}
	if code, _, errs = run(t, "", "--data", data, "backup", backup); code == 0 || !strings.Contains(errs, "exists") {
		t.Errorf("backup over an existing file: %d %s", code, errs)
	}
	// The copy is a working store.
	restored := t.TempDir()
	b, _ := os.ReadFile(backup)
	if err := os.WriteFile(filepath.Join(restored, "anliegen.db"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, _ = run(t, "", "--data", restored, "status", "--json")
	if code != 0 || !strings.Contains(out, `"tickets":397`) {
		t.Errorf("restored status: %d %s", code, out)
	}
}

func TestUserAdd(t *testing.T) {
	data := t.TempDir()
	tests := []struct {
		stdin string
		args  []string
		code  int
		msg   string
	}{
		{"geheim-genug-123\n", []string{"--login", "ina", "--name", "Ina", "--role", "agent"}, 0, "created"},
		{"geheim-genug-123\n", []string{"--login", "ina", "--role", "agent"}, 1, "taken"},
		{"kurz\n", []string{"--login", "ole", "--role", "agent"}, 2, "at least"},
		{"geheim-genug-123\n", []string{"--login", "abf", "--role", "department", "--departments", "abfall,kfz"}, 1, "unknown department"},
		{"geheim-genug-123\n", []string{"--login", "adm", "--role", "admin"}, 0, "created"},
	}
	for _, tt := range tests {
		code, out, errs := run(t, tt.stdin, append([]string{"--data", data, "user", "add"}, tt.args...)...)
		if code != tt.code || !strings.Contains(strings.ToLower(out+errs), tt.msg) {
			t.Errorf("user add %v = %d (%s%s), want %d with %q", tt.args, code, out, errs, tt.code, tt.msg)
		}
	}
}

// TestCommandsBesideServer runs import, search, status and reindex while
// serve holds the same data directory: search and reindex go through the
// control socket, and imported tickets become searchable.
func TestCommandsBesideServer(t *testing.T) {
	data := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var serveCode int
	var serveErr bytes.Buffer
	wg.Go(func() {
		env := Env{Stdin: strings.NewReader(""), Stdout: &bytes.Buffer{}, Stderr: &serveErr, Getenv: func(string) string { return "" }}
		serveCode = Main(ctx, []string{"--data", data, "--log-level", "warn", "serve", "--listen", addr}, env)
	})
	defer func() {
		cancel()
		wg.Wait()
		if serveCode != 0 {
			t.Errorf("serve exited %d: %s", serveCode, serveErr.String())
		}
	}()
	sock := filepath.Join(data, controlSocketName)
	for end := time.Now().Add(30 * time.Second); dialControl(data) == nil; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("no control socket at %s", sock)
		}
	}

	if code, _, errs := run(t, "", "--data", data, "import", sampleFile(t, false)); code != 0 {
		t.Fatalf("import beside server: %s", errs)
	}
	// The server's indexer picks the import up from the events table.
	var hits []map[string]any
	for end := time.Now().Add(90 * time.Second); len(hits) == 0; time.Sleep(100 * time.Millisecond) {
		code, out, errs := run(t, "", "--data", data, "search", "--json", "personalausweiss")
		if code != 0 {
			t.Fatalf("search beside server: %s", errs)
		}
		hits = decodeLines(t, out)
		if time.Now().After(end) {
			t.Fatal("imported tickets not searchable through the server within 90s")
		}
	}
	if code, out, errs := run(t, "", "--data", data, "reindex"); code != 0 || !strings.Contains(out, "reindexed") {
		t.Fatalf("reindex beside server: %d %s %s", code, out, errs)
	}
	code, out, errs := run(t, "", "--data", data, "status", "--json")
	if code != 0 || !strings.Contains(out, `"tickets":400`) {
		t.Fatalf("status beside server: %d %s %s", code, out, errs)
	}
}

func decodeLines(t *testing.T, s string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(s), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("not JSON: %q", line)
		}
		out = append(out, m)
	}
	return out
}
