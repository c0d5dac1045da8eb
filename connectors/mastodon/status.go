package mastodon

import (
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/anliegen/anliegen"
)

// The API's JSON, only the fields the connector reads. Ids are strings and
// stay strings: Mastodon's are decimal snowflakes, GoToSocial's ULIDs.
type account struct {
	ID          string `json:"id"`
	Username    string `json:"username"`
	Acct        string `json:"acct"`
	DisplayName string `json:"display_name"`
}

type media struct {
	ID          string  `json:"id"`
	Type        string  `json:"type"`
	URL         string  `json:"url"`
	RemoteURL   *string `json:"remote_url"`
	Description *string `json:"description"`
}

type status struct {
	ID                 string     `json:"id"`
	URI                string     `json:"uri"`
	URL                *string    `json:"url"`
	CreatedAt          time.Time  `json:"created_at"`
	EditedAt           *time.Time `json:"edited_at"`
	Account            *account   `json:"account"`
	Content            string     `json:"content"`
	Visibility         string     `json:"visibility"`
	SpoilerText        string     `json:"spoiler_text"`
	Language           *string    `json:"language"`
	InReplyToID        *string    `json:"in_reply_to_id"`
	InReplyToAccountID *string    `json:"in_reply_to_account_id"`
	MediaAttachments   []media    `json:"media_attachments"`
	Mentions           []mention  `json:"mentions"`
}

type mention struct {
	ID  string `json:"id"`
	URL string `json:"url"`
}

// ownURLs returns the profile URLs under which st mentions the account
// ownID.
func (st *status) ownURLs(ownID string) []string {
	var out []string
	for _, m := range st.Mentions {
		if ownID != "" && m.ID == ownID && m.URL != "" {
			out = append(out, m.URL)
		}
	}
	return out
}

type notification struct {
	ID        string    `json:"id"`
	Type      string    `json:"type"`
	CreatedAt time.Time `json:"created_at"`
	Status    *status   `json:"status"`
}

// maxRaw bounds the raw payload kept with a skipped item for the debug log.
const maxRaw = 2048

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// mapStatus turns a status into an Item, except ThreadID, which needs the
// status's thread root (see Connector.threadRoot). ownID is the town's
// account id ("" if unknown); leading mentions of it are left out of the
// plain text, the HTML keeps them. It returns an error for a status that cannot
// be stored; the caller skips it.
func mapStatus(st *status, ownID string) (anliegen.Item, error) {
	switch {
	case st == nil:
		return anliegen.Item{}, errors.New("no status")
	case strings.TrimSpace(st.ID) == "":
		return anliegen.Item{}, errors.New("status without id")
	case st.Account == nil || st.Account.ID == "":
		return anliegen.Item{}, errors.New("status without account id")
	case st.CreatedAt.IsZero():
		return anliegen.Item{}, errors.New("status without created_at")
	}
	it := anliegen.Item{
		ExternalID: st.ID,
		Kind:       anliegen.KindComment,
		ParentID:   str(st.InReplyToID),
		Author: anliegen.Author{
			ExternalID: st.Account.ID,
			Handle:     "@" + strings.TrimPrefix(st.Account.Acct, "@"),
			Name:       st.Account.DisplayName,
		},
		Subject:   st.SpoilerText,
		Text:      textOf(st.Content, st.ownURLs(ownID)),
		HTML:      st.Content,
		URL:       str(st.URL),
		CreatedAt: st.CreatedAt.UTC(),
		FromUs:    ownID != "" && st.Account.ID == ownID,
		Lang:      str(st.Language),
	}
	if it.URL == "" {
		it.URL = st.URI
	}
	if st.Account.Acct == "" {
		it.Author.Handle = "@" + st.Account.Username
	}
	if it.Author.Name == "" {
		it.Author.Name = st.Account.Username
	}
	if st.Visibility == "direct" {
		it.Kind = anliegen.KindDM
	}
	if st.EditedAt != nil && !st.EditedAt.IsZero() {
		t := st.EditedAt.UTC()
		it.EditedAt = &t
	}
	for _, m := range st.MediaAttachments {
		u := m.URL
		if u == "" {
			u = str(m.RemoteURL)
		}
		name := str(m.Description)
		if name == "" {
			name = path.Base(strings.SplitN(u, "?", 2)[0])
		}
		if name == "" || name == "." || name == "/" {
			name = m.Type
		}
		it.Attachments = append(it.Attachments, anliegen.Attachment{Name: name, MIMEType: mimeOf(m.Type), URL: u})
	}
	return it, nil
}

// mimeOf names the MIME family of a Mastodon media type; the exact type is
// not in the API.
func mimeOf(t string) string {
	switch t {
	case "image", "video", "audio":
		return t + "/*"
	case "gifv":
		return "video/*"
	}
	return ""
}

// decodeNotification decodes one element of a page. An element that is no
// object, or whose dates or fields have the wrong type, is reported with
// whatever id could be read.
func decodeNotification(raw json.RawMessage) (notification, error) {
	var n notification
	if err := json.Unmarshal(raw, &n); err != nil {
		var id struct {
			ID any `json:"id"`
		}
		_ = json.Unmarshal(raw, &id)
		n.ID = fmt.Sprint(id.ID)
		if id.ID == nil {
			n.ID = ""
		}
		return n, fmt.Errorf("decode notification: %w", err)
	}
	return n, nil
}

// page is a decoded notifications page.
type page struct {
	body    []byte
	entries []pageEntry
	raws    []json.RawMessage // the elements' bytes, split on demand
}

// pageEntry is one element of a page: decoded, or the error that kept it
// from decoding (n.ID then holds whatever id could be read).
type pageEntry struct {
	n   notification
	err error
	id  string // for the page bounds: a string id, "" if none
}

// decodePage decodes a notifications page in one pass. Only when some
// element does not decode does it split the page and decode each element
// alone, so that a bad status costs itself, not its page; the common case
// scans the bytes twice instead of four times. A body that is no JSON
// array is an error.
func decodePage(body []byte) (page, error) {
	p := page{body: body}
	var ns []notification
	if err := json.Unmarshal(body, &ns); err == nil {
		p.entries = make([]pageEntry, len(ns))
		for i := range ns {
			p.entries[i] = pageEntry{n: ns[i], id: ns[i].ID}
		}
		return p, nil
	}
	if err := json.Unmarshal(body, &p.raws); err != nil {
		return p, err
	}
	p.entries = make([]pageEntry, len(p.raws))
	for i, raw := range p.raws {
		n, err := decodeNotification(raw)
		p.entries[i] = pageEntry{n: n, err: err, id: stringID(raw)}
	}
	return p, nil
}

// stringID reads an element's id if it is a string.
func stringID(raw json.RawMessage) string {
	var n struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(raw, &n) != nil {
		return ""
	}
	return n.ID
}

// ids returns the elements' string ids, newest first, leaving out those
// without one.
func (p *page) ids() []string {
	ids := make([]string, 0, len(p.entries))
	for _, e := range p.entries {
		if e.id != "" {
			ids = append(ids, e.id)
		}
	}
	return ids
}

// raw returns element i's bytes, for the debug log of a skipped element.
func (p *page) raw(i int) []byte {
	if p.raws == nil {
		_ = json.Unmarshal(p.body, &p.raws) // decoded once already
	}
	if i < len(p.raws) {
		return p.raws[i]
	}
	return nil
}

func truncate(raw []byte) []byte {
	if len(raw) > maxRaw {
		return raw[:maxRaw]
	}
	return raw
}
