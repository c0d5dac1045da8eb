package ui

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"
)

// TestFS checks that the embedded build is complete and obeys the
// server's CSP: no inline scripts or styles, no outside URLs.
func TestFS(t *testing.T) {
	index, err := fs.ReadFile(FS(), "index.html")
	if err != nil {
		t.Fatalf("read index.html: %v", err)
	}
	html := string(index)
	refs := regexp.MustCompile(`(?:src|href)="([^"]+)"`).FindAllStringSubmatch(html, -1)
	if len(refs) < 2 {
		t.Fatalf("index.html references %d files, want script and stylesheet", len(refs))
	}
	for _, m := range refs {
		ref := m[1]
		if strings.Contains(ref, "//") {
			t.Errorf("index.html loads %q from outside", ref)
			continue
		}
		if _, err := fs.Stat(FS(), strings.TrimPrefix(ref, "/")); err != nil {
			t.Errorf("index.html references %q: %v", ref, err)
		}
	}
	for _, re := range []string{`<script(?:\s[^>]*)?>\s*[^<\s]`, `<style`, `\sstyle="`, `\son[a-z]+="`} {
		if regexp.MustCompile(re).MatchString(html) {
			t.Errorf("index.html has inline code matching %s", re)
		}
	}
}
