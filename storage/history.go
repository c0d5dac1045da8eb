package storage

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/anliegen/anliegen"
)

// HistoryRecord is one line of a history file: a past inquiry and the
// answer it got (the schema of testdata/inquiries-dev.jsonl, plus an
// optional created_at in RFC 3339).
type HistoryRecord struct {
	ID         string            `json:"id"`
	Platform   anliegen.Platform `json:"platform"`
	Kind       anliegen.Kind     `json:"kind"`
	Author     string            `json:"author"`
	Text       string            `json:"text"`
	Department string            `json:"department"`
	Priority   anliegen.Priority `json:"priority"`
	Tags       []string          `json:"tags"`
	Answer     string            `json:"answer"`
	Lang       string            `json:"lang"`
	// CreatedAt is when the citizen wrote; zero when the line has none.
	CreatedAt time.Time `json:"-"`
}

// Validate reports the first invalid field of r.
func (r *HistoryRecord) Validate() error {
	d := anliegen.Department{ID: r.Department, Name: r.Department}
	switch {
	case strings.TrimSpace(r.ID) == "":
		return anliegen.Invalid("id", "must not be empty")
	case len(r.ID) > maxShortBytes:
		return anliegen.Invalid("id", "must be at most %d bytes", maxShortBytes)
	case !r.Platform.Valid():
		return anliegen.Invalid("platform", "unknown platform %q", r.Platform)
	case !r.Kind.Valid():
		return anliegen.Invalid("kind", "unknown kind %q", r.Kind)
	case strings.TrimSpace(r.Text) == "":
		return anliegen.Invalid("text", "must not be empty")
	case r.Priority != "" && !r.Priority.Valid():
		return anliegen.Invalid("priority", "unknown priority %q", r.Priority)
	case r.Department != "" && d.Validate() != nil:
		return anliegen.Invalid("department", "must be a department id (lower-case letters, digits, dashes)")
	}
	if _, err := normalizeTags(r.Tags); err != nil {
		return err
	}
	return nil
}

// maxHistoryLine bounds one line of a history file; a longer line is
// reported as bad and skipped without reading it into memory.
const maxHistoryLine = 1 << 20

// ReadHistory parses a JSON Lines history file and calls fn for every
// non-blank line, numbered from 1, with the record or the reason the line
// is bad (err, an *anliegen.Error naming the field where it can). A bad
// line does not stop the parse; an error returned by fn does, and is
// returned. Read errors of r are returned as they are.
func ReadHistory(r io.Reader, fn func(lineNo int, rec HistoryRecord, err error) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	for lineNo := 1; ; lineNo++ {
		line, tooLong, err := readLine(br)
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read history line %d: %w", lineNo, err)
		}
		eof := errors.Is(err, io.EOF)
		if tooLong {
			if ferr := fn(lineNo, HistoryRecord{}, anliegen.Errorf(anliegen.EInvalid, "line longer than %d bytes", maxHistoryLine)); ferr != nil {
				return ferr
			}
		} else if len(bytes.TrimSpace(line)) > 0 {
			rec, perr := parseHistoryLine(line)
			if ferr := fn(lineNo, rec, perr); ferr != nil {
				return ferr
			}
		}
		if eof {
			return nil
		}
	}
}

// readLine returns the next line without its newline. A line longer than
// maxHistoryLine is consumed and reported as tooLong.
func readLine(br *bufio.Reader) (line []byte, tooLong bool, err error) {
	var buf []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if !tooLong {
			if len(buf)+len(chunk) > maxHistoryLine+1 {
				tooLong, buf = true, nil
			} else {
				buf = append(buf, chunk...)
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return bytes.TrimSuffix(bytes.TrimSuffix(buf, []byte("\n")), []byte("\r")), tooLong, err
	}
}

// historyLine is the wire form: created_at is parsed by hand for a clear
// error message.
type historyLine struct {
	HistoryRecord
	CreatedAt *string `json:"created_at"`
}

func parseHistoryLine(line []byte) (HistoryRecord, error) {
	var l historyLine
	if err := json.Unmarshal(line, &l); err != nil {
		return HistoryRecord{}, &anliegen.Error{Code: anliegen.EInvalid, Message: "not a JSON object of the history schema", Err: err}
	}
	rec := l.HistoryRecord
	if l.CreatedAt != nil && *l.CreatedAt != "" {
		t, err := time.Parse(time.RFC3339Nano, *l.CreatedAt)
		if err != nil {
			return rec, &anliegen.Error{Code: anliegen.EInvalid, Field: "created_at", Message: "must be RFC 3339", Err: err}
		}
		rec.CreatedAt = t.UTC()
	}
	if err := rec.Validate(); err != nil {
		return rec, err
	}
	return rec, nil
}
