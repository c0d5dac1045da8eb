package corpus

import (
	"reflect"
	"strings"
	"testing"

	"github.com/anliegen/anliegen"
)

func TestDeterministic(t *testing.T) {
	a, b, c := New(1), New(1), New(2)
	same := 0
	for range 1000 {
		x, y, z := a.Next(), b.Next(), c.Next()
		if !reflect.DeepEqual(x, y) {
			t.Fatalf("same seed, different output:\n%+v\n%+v", x, y)
		}
		if x.Text == z.Text {
			same++
		}
	}
	if same > 100 {
		t.Fatalf("seeds 1 and 2 share %d of 1000 texts", same)
	}
}

func TestInquiries(t *testing.T) {
	g := New(42)
	originals := map[string]bool{}
	templateWords := map[string]bool{}
	for _, q := range g.src {
		originals[q.Text] = true
		for _, w := range strings.Fields(strings.ToLower(q.Text)) {
			templateWords[w] = true
		}
	}
	ids := map[string]bool{}
	words := map[string]bool{}
	copies, spam := 0, 0
	const n = 5000
	for i := range n {
		q := g.Next()
		if ids[q.ID] {
			t.Fatalf("duplicate id %s", q.ID)
		}
		ids[q.ID] = true
		if !q.Platform.Valid() || !q.Kind.Valid() || !q.Priority.Valid() || q.Department == "" ||
			strings.TrimSpace(q.Text) == "" || q.Author == "" {
			t.Fatalf("inquiry %d invalid: %+v", i, q)
		}
		if q.CreatedAt.Before(spanEnd.Add(-span)) || !q.CreatedAt.Before(spanEnd) {
			t.Fatalf("created_at %v outside the span", q.CreatedAt)
		}
		if originals[q.Text] {
			copies++
		}
		if q.Answer == "" {
			spam++
		}
		for _, w := range strings.Fields(strings.ToLower(q.Text)) {
			words[w] = true
		}
		docs := q.IndexDocs(int64(i+1), int64(2*i+1))
		if len(docs) != q.Messages() || docs[0].Direction != anliegen.DirectionIn || docs[0].Text != q.Text ||
			docs[0].TicketID != int64(i+1) || docs[0].MessageID != int64(2*i+1) {
			t.Fatalf("index docs of %+v: %+v", q, docs)
		}
		if len(docs) == 2 && (docs[1].Direction != anliegen.DirectionOut || docs[1].Text != q.Answer) {
			t.Fatalf("answer doc %+v", docs[1])
		}
	}
	if copies > n/4 {
		t.Errorf("%d of %d texts are template copies", copies, n)
	}
	if spam == 0 || spam > n/5 {
		t.Errorf("%d of %d without answer", spam, n)
	}
	// Typos, numbers and streets add a long tail to the templates' words.
	if len(words) < 3*len(templateWords)/2 {
		t.Errorf("%d distinct words in %d inquiries, the templates have %d", len(words), n, len(templateWords))
	}
}

func TestSentences(t *testing.T) {
	got := sentences("Hallo! Wo bekomme ich gelbe Säcke? Danke.\nGruß, musterstadt.de/abfall")
	want := []string{"Hallo!", "Wo bekomme ich gelbe Säcke?", "Danke.", "Gruß, musterstadt.de/abfall"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q", got)
	}
}

func BenchmarkNext(b *testing.B) {
	g := New(1)
	for b.Loop() {
		g.Next()
	}
}
