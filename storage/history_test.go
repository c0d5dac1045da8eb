package storage

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/anliegen/anliegen"
)

func TestReadHistory(t *testing.T) {
	in := strings.Join([]string{
		`{"id": "h1", "platform": "facebook", "kind": "comment", "author": "Anna", "text": "Frage", "department": "abfall", "priority": "high", "tags": ["a"], "answer": "Antwort", "lang": "de"}`,
		``,
		`{"id": "h2", "platform": "myspace", "kind": "dm", "author": "B", "text": "x"}`,
		`not json`,
		`{"id": "h3", "platform": "email", "kind": "mail", "author": "c@x.de", "text": "Mail", "created_at": "2026-01-02T03:04:05Z"}`,
		`{"id": "h4", "platform": "email", "kind": "mail", "author": "c@x.de", "text": "Mail", "created_at": "gestern"}`,
		`{"id": "", "platform": "x", "kind": "dm", "text": "t"}`,
		`{"id": "h5", "platform": "x", "kind": "dm", "text": "t", "priority": "sofort"}`,
		`{"id": "h6", "platform": "x", "kind": "dm", "text": "t"} trailing`,
		`{"id": "h7", "platform": "x", "kind": "dm", "text": "ok"}`, // no final newline
	}, "\n")
	type got struct {
		line  int
		id    string
		field string
		bad   bool
	}
	var gots []got
	err := ReadHistory(strings.NewReader(in), func(n int, rec HistoryRecord, err error) error {
		gots = append(gots, got{n, rec.ID, anliegen.ErrorField(err), err != nil})
		if n == 5 && !rec.CreatedAt.Equal(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)) {
			t.Errorf("created_at = %v", rec.CreatedAt)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []got{{1, "h1", "", false}, {3, "h2", "platform", true}, {4, "", "", true}, {5, "h3", "", false},
		{6, "h4", "created_at", true}, {7, "", "id", true}, {8, "h5", "priority", true}, {9, "", "", true}, {10, "h7", "", false}}
	if len(gots) != len(want) {
		t.Fatalf("got %+v", gots)
	}
	for i := range want {
		if gots[i] != want[i] {
			t.Errorf("line %d: got %+v, want %+v", want[i].line, gots[i], want[i])
		}
	}
}

func TestReadHistoryLongLineAndStop(t *testing.T) {
	long := `{"id": "big", "platform": "x", "kind": "dm", "text": "` + strings.Repeat("a", maxHistoryLine+10) + `"}`
	in := long + "\n" + `{"id": "h2", "platform": "x", "kind": "dm", "text": "ok"}` + "\n"
	var lines []int
	var bad []bool
	if err := ReadHistory(strings.NewReader(in), func(n int, _ HistoryRecord, err error) error {
		lines, bad = append(lines, n), append(bad, err != nil)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(lines) != 2 || !bad[0] || bad[1] || lines[1] != 2 {
		t.Errorf("lines %v bad %v", lines, bad)
	}
	stop := errors.New("stop")
	if err := ReadHistory(strings.NewReader(in), func(int, HistoryRecord, error) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("fn error not returned: %v", err)
	}
}

// FuzzReadHistory checks that any input is parsed without panic, that line
// numbers increase, and that every record handed over as good validates.
func FuzzReadHistory(f *testing.F) {
	f.Add(`{"id": "h1", "platform": "facebook", "kind": "comment", "author": "Anna", "text": "Frage", "tags": ["a"], "answer": "x"}`)
	f.Add("{\"id\": \"h\", \"platform\": \"x\", \"kind\": \"dm\", \"text\": \"t\", \"created_at\": \"2026-01-02T03:04:05+01:00\"}\r\n\n{}")
	f.Add("\xff\xfe{\"id\":1}\n[]\nnull\n")
	f.Fuzz(func(t *testing.T, in string) {
		last := 0
		err := ReadHistory(strings.NewReader(in), func(n int, rec HistoryRecord, err error) error {
			if n <= last {
				t.Fatalf("line %d after %d", n, last)
			}
			last = n
			if err == nil {
				if verr := rec.Validate(); verr != nil {
					t.Fatalf("good record fails validation: %v", verr)
				}
			} else if anliegen.ErrorCode(err) != anliegen.EInvalid {
				t.Fatalf("bad line error without code: %v", err)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("parse error: %v", err)
		}
		if last > strings.Count(in, "\n")+1 {
			t.Fatalf("line %d of %d", last, strings.Count(in, "\n")+1)
		}
	})
}
