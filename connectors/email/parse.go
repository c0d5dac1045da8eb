package email

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/mail"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/anliegen/anliegen"
	"github.com/emersion/go-message"
	// Registers legacy charsets (ISO-8859-x, windows-125x, ...) with
	// go-message for bodies and encoded words.
	_ "github.com/emersion/go-message/charset"
	gomail "github.com/emersion/go-message/mail"
	"golang.org/x/text/encoding/charmap"
)

// Limits on what one item carries; the raw mail stays in the mailbox.
const (
	maxTextBytes = 256 << 10
	maxHTMLBytes = 1 << 20
	maxParts     = 200 // MIME parts walked per message, against part bombs
	maxDepth     = 10  // multipart nesting
)

// ParseOptions are what Parse needs besides the raw bytes.
type ParseOptions struct {
	// Received is the server's arrival time (IMAP INTERNALDATE); used when
	// the Date header is missing or unreadable. Zero means now.
	Received time.Time
	// OwnAddress is the channel's From address: mail from it is the town's
	// own (a reply sent from a mail client) and is marked FromUs.
	OwnAddress string
	// Truncated says raw is only the start of a larger message (the fetch
	// was capped): the last attachment read was cut, so its size is
	// reported as unknown (0).
	Truncated bool
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// ErrMalformed is wrapped by Parse errors for messages that cannot become
// an item; the poller skips them.
var ErrMalformed = errors.New("malformed message")

// Parse turns one raw RFC 5322 message into an Item. It returns an error
// wrapping ErrMalformed when the header cannot be read or names no sender.
// Text fields of the item are always valid UTF-8.
func Parse(raw []byte, opts ParseOptions) (anliegen.Item, error) {
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	// A non-nil entity with an error means an unknown charset or transfer
	// encoding: the body is then read as it is.
	e, _ := message.Read(bytes.NewReader(raw))
	if e == nil {
		// The cause quotes the bad header line: citizen data, not for logs.
		return anliegen.Item{}, fmt.Errorf("%w: unreadable header", ErrMalformed)
	}
	h := gomail.Header{Header: e.Header}
	it := anliegen.Item{Kind: anliegen.KindMail}

	author, ok := parseAuthor(h)
	if !ok {
		return anliegen.Item{}, fmt.Errorf("%w: no sender address", ErrMalformed)
	}
	it.Author = author
	it.FromUs = opts.OwnAddress != "" && strings.EqualFold(fromAddress(h), opts.OwnAddress)

	it.ExternalID = firstMsgID(h.Get("Message-Id"))
	if it.ExternalID == "" {
		it.ExternalID = hashID(h, raw)
	}
	it.ParentID = firstMsgID(h.Get("In-Reply-To"))
	it.References = msgIDs(h.Get("References"))
	it.ThreadID = it.ExternalID
	if len(it.References) > 0 {
		it.ThreadID = it.References[0]
	} else if it.ParentID != "" {
		it.ThreadID = it.ParentID
	}
	it.Subject = decodeText(h.Get("Subject"))
	it.CreatedAt = messageDate(h, opts.Received, now())
	it.AutoReply = isAutoReply(h, e, author.ExternalID)

	b := bodyParts{altSeen: map[int]bool{}}
	b.walk(e, 0, 0)
	it.Text, it.HTML, it.Attachments = b.text, b.html, b.attachments
	if opts.Truncated && len(it.Attachments) > 0 {
		it.Attachments[len(it.Attachments)-1].Size = 0
	}
	if it.Text == "" && it.HTML != "" {
		it.Text = truncateUTF8(htmlToText(it.HTML), maxTextBytes)
	}
	return it, nil
}

var msgIDRe = regexp.MustCompile(`<([^<>\s]+)>`)

// msgIDs extracts every <id> of a Message-ID list. It is lenient on purpose:
// real mail has comments, missing spaces and folded lines between ids.
func msgIDs(v string) []string {
	var ids []string
	seen := map[string]bool{}
	for _, m := range msgIDRe.FindAllStringSubmatch(v, 100) {
		id := cleanID(m[1])
		if id != "" && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		// Some clients drop the brackets around a single id.
		if f := strings.Fields(v); len(f) == 1 && strings.Contains(f[0], "@") {
			if id := cleanID(f[0]); id != "" {
				ids = append(ids, id)
			}
		}
	}
	return ids
}

func firstMsgID(v string) string {
	if ids := msgIDs(v); len(ids) > 0 {
		return ids[0]
	}
	return ""
}

func cleanID(id string) string {
	id = strings.Trim(id, "<> \t")
	if !utf8.ValidString(id) || len(id) > 500 {
		return ""
	}
	return id
}

// hashID derives a stable id for a mail without Message-ID from the headers
// a sender sets and the body, not from headers relays add on the way
// (Received, Delivered-To), so the same mail always gets the same id.
func hashID(h gomail.Header, raw []byte) string {
	sum := sha256.New()
	for _, k := range []string{"From", "To", "Cc", "Date", "Subject"} {
		io.WriteString(sum, k+":"+strings.TrimSpace(h.Get(k))+"\n")
	}
	if i := bytes.Index(raw, []byte("\r\n\r\n")); i >= 0 {
		sum.Write(raw[i+4:])
	} else if i := bytes.Index(raw, []byte("\n\n")); i >= 0 {
		sum.Write(raw[i+2:])
	}
	return "anliegen-hash-" + hex.EncodeToString(sum.Sum(nil)[:16])
}

var addrRe = regexp.MustCompile(`[^\s<>"(),;:]+@[^\s<>"(),;:]+`)

// parseAuthor returns the sender: Reply-To wins over From (the citizen's
// answers should go there), Sender is the last resort.
func parseAuthor(h gomail.Header) (anliegen.Author, bool) {
	var name string
	for _, k := range []string{"Reply-To", "From", "Sender"} {
		addr, n := parseAddress(h.Get(k))
		if name == "" {
			name = n
		}
		if addr != "" {
			if name == "" {
				_, name = parseAddress(h.Get("From"))
			}
			return anliegen.Author{ExternalID: strings.ToLower(addr), Handle: addr, Name: name}, true
		}
	}
	return anliegen.Author{}, false
}

func fromAddress(h gomail.Header) string {
	a, _ := parseAddress(h.Get("From"))
	return a
}

// parseAddress returns the first address of a header value and its decoded
// display name, falling back to a pattern match for headers that net/mail
// rejects (unquoted commas, raw 8-bit names).
func parseAddress(v string) (addr, name string) {
	if strings.TrimSpace(v) == "" {
		return "", ""
	}
	if list, err := gomail.ParseAddressList(v); err == nil && len(list) > 0 {
		return validText(list[0].Address), validText(strings.TrimSpace(list[0].Name))
	}
	if a, err := mail.ParseAddress(v); err == nil {
		return validText(a.Address), validText(a.Name)
	}
	addr = addrRe.FindString(v)
	if addr == "" {
		return "", ""
	}
	name = strings.Trim(strings.Replace(v, addr, "", 1), " \t<>\"")
	return validText(addr), decodeText(name)
}

// decodeText decodes RFC 2047 encoded words and makes sure the result is
// UTF-8: raw 8-bit header bytes are read as windows-1252, which is what
// German mail clients that send them mean.
func decodeText(v string) string {
	d := mime.WordDecoder{CharsetReader: charsetReader}
	s, err := d.DecodeHeader(v)
	if err != nil {
		s = v
	}
	return strings.TrimSpace(validText(s))
}

func charsetReader(cs string, r io.Reader) (io.Reader, error) {
	if message.CharsetReader == nil {
		return nil, fmt.Errorf("unknown charset %q", cs)
	}
	return message.CharsetReader(strings.ToLower(cs), r)
}

func validText(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	if d, err := charmap.Windows1252.NewDecoder().String(s); err == nil && utf8.ValidString(d) {
		return d
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// messageDate is the Date header in UTC, or the arrival time when Date is
// missing, unreadable or more than a day in the future (a wrong clock).
func messageDate(h gomail.Header, received, now time.Time) time.Time {
	if received.IsZero() {
		received = now
	}
	d, err := h.Date()
	if err != nil || d.IsZero() || d.After(received.Add(24*time.Hour)) || d.Year() < 1980 {
		return received.UTC()
	}
	return d.UTC()
}

// isAutoReply reports mail that must never be answered automatically
// (RFC 3834 and the usual bulk markers); see PLATFORMS.md.
func isAutoReply(h gomail.Header, e *message.Entity, sender string) bool {
	if v := strings.ToLower(strings.TrimSpace(h.Get("Auto-Submitted"))); v != "" && !strings.HasPrefix(v, "no") {
		return true
	}
	switch strings.ToLower(strings.TrimSpace(h.Get("Precedence"))) {
	case "bulk", "junk", "list", "auto_reply":
		return true
	}
	if h.Get("List-Id") != "" || h.Get("X-Autoreply") != "" || h.Get("X-Autorespond") != "" {
		return true
	}
	if rp := h.Values("Return-Path"); len(rp) > 0 && strings.TrimSpace(rp[0]) == "<>" {
		return true
	}
	if t, _, _ := e.Header.ContentType(); t == "multipart/report" {
		return true
	}
	local, _, _ := strings.Cut(sender, "@")
	return local == "mailer-daemon" || local == "postmaster"
}

// bodyParts collects the parts of a message while walking its MIME tree.
// Text parts outside multipart/alternative are joined (clients split the
// text around inline images); of each alternative only the first plain
// text counts.
type bodyParts struct {
	text, html  string
	attachments []anliegen.Attachment
	parts       int
	alts        int          // multipart/alternative groups seen
	altSeen     map[int]bool // groups whose plain text was taken
}

func (b *bodyParts) walk(e *message.Entity, depth, group int) {
	b.parts++
	if b.parts > maxParts || depth > maxDepth {
		return
	}
	if mr := e.MultipartReader(); mr != nil {
		if t, _, _ := e.Header.ContentType(); t == "multipart/alternative" {
			b.alts++
			group = b.alts
		}
		for {
			p, err := mr.NextPart()
			if p == nil || (err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err)) {
				// A truncated or broken multipart keeps what was read so far.
				return
			}
			b.walk(p, depth+1, group)
			if b.parts > maxParts {
				return
			}
		}
	}
	t, params, err := e.Header.ContentType()
	if err != nil || t == "" {
		t = "text/plain"
	}
	disp, dparams, _ := e.Header.ContentDisposition()
	name := attachmentName(dparams, params)
	isText := t == "text/plain" || t == "text/html"
	if isText && disp != "attachment" && name == "" {
		body := readLimited(e.Body, maxHTMLBytes)
		if t == "text/plain" && !b.altSeen[group] {
			if group != 0 {
				b.altSeen[group] = true
			}
			part := normalizeText(validText(string(body)))
			if b.text != "" && part != "" {
				part = b.text + "\n\n" + part
			} else if part == "" {
				part = b.text
			}
			b.text = truncateUTF8(part, maxTextBytes)
		} else if t == "text/html" && b.html == "" {
			b.html = truncateUTF8(validText(string(body)), maxHTMLBytes)
		}
		return
	}
	if t == "message/rfc822" && name == "" {
		name = "nachricht.eml"
	}
	n, _ := io.Copy(io.Discard, e.Body)
	if name == "" {
		name = "unbenannt"
	}
	b.attachments = append(b.attachments, anliegen.Attachment{Name: name, MIMEType: t, Size: n})
}

func attachmentName(dparams, params map[string]string) string {
	for _, v := range []string{dparams["filename"], params["name"]} {
		if v = decodeText(v); v != "" {
			// Only the base name: a path in a file name is never meant.
			if i := strings.LastIndexAny(v, `/\`); i >= 0 {
				v = v[i+1:]
			}
			return truncateUTF8(v, 255)
		}
	}
	return ""
}

func readLimited(r io.Reader, n int64) []byte {
	b, _ := io.ReadAll(io.LimitReader(r, n))
	io.Copy(io.Discard, r)
	return b
}

func normalizeText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.TrimSpace(s)
}

// truncateUTF8 cuts s to at most n bytes without splitting a rune.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
