package mastodontest

import (
	"encoding/json"
	"html"
	"regexp"
	"strings"
	"time"
)

var (
	mentionRE = regexp.MustCompile(`(^|[^\w/])@([A-Za-z0-9_]+(?:@[A-Za-z0-9.-]+[A-Za-z0-9])?)`)
	tokenRE   = regexp.MustCompile(`https?://[^\s<>"]+|@[A-Za-z0-9_]+(?:@[A-Za-z0-9.-]+[A-Za-z0-9])?`)
)

// mentioned returns the local accounts text mentions. Callers hold s.mu.
func (s *Server) mentioned(text string) []*Account {
	var out []*Account
	seen := map[string]bool{}
	for _, m := range mentionRE.FindAllStringSubmatch(text, -1) {
		if a := s.findAcct(m[2]); a != nil && !seen[a.ID] {
			seen[a.ID] = true
			out = append(out, a)
		}
	}
	return out
}

// render turns status text into HTML the way Mastodon does: paragraphs,
// <br /> for line breaks, h-card mention links and shortened URL links.
// Callers hold s.mu.
func (s *Server) render(text string) string {
	var b strings.Builder
	for _, para := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n\n") {
		if strings.TrimSpace(para) == "" {
			continue
		}
		b.WriteString("<p>")
		for i, line := range strings.Split(para, "\n") {
			if i > 0 {
				b.WriteString("<br />")
			}
			s.renderLine(&b, line)
		}
		b.WriteString("</p>")
	}
	return b.String()
}

func (s *Server) renderLine(b *strings.Builder, line string) {
	last := 0
	for _, loc := range tokenRE.FindAllStringIndex(line, -1) {
		b.WriteString(html.EscapeString(line[last:loc[0]]))
		tok := line[loc[0]:loc[1]]
		last = loc[1]
		if strings.HasPrefix(tok, "@") {
			a := s.findAcct(tok)
			if a == nil {
				b.WriteString(html.EscapeString(tok))
				continue
			}
			b.WriteString(`<span class="h-card" translate="no"><a href="` + html.EscapeString(s.profileURL(a)) +
				`" class="u-url mention">@<span>` + html.EscapeString(a.Username) + `</span></a></span>`)
			continue
		}
		scheme, rest, _ := strings.Cut(tok, "://")
		b.WriteString(`<a href="` + html.EscapeString(tok) + `" target="_blank" rel="nofollow noopener noreferrer" translate="no">` +
			`<span class="invisible">` + scheme + `://</span><span class="">` + html.EscapeString(rest) + `</span><span class="invisible"></span></a>`)
	}
	b.WriteString(html.EscapeString(line[last:]))
}

func (s *Server) profileURL(a *Account) string {
	if u, d, ok := strings.Cut(a.Acct, "@"); ok {
		return "https://" + d + "/@" + u
	}
	return "https://" + s.opts.Domain + "/@" + a.Username
}

type accountJSON struct {
	ID          string    `json:"id"`
	Username    string    `json:"username"`
	Acct        string    `json:"acct"`
	DisplayName string    `json:"display_name"`
	URL         string    `json:"url"`
	Note        string    `json:"note"`
	CreatedAt   time.Time `json:"created_at"`
	Bot         bool      `json:"bot"`
}

type mentionJSON struct {
	ID       string `json:"id"`
	Username string `json:"username"`
	Acct     string `json:"acct"`
	URL      string `json:"url"`
}

type mediaJSON struct {
	ID          string  `json:"id"`
	Type        string  `json:"type"`
	URL         string  `json:"url"`
	PreviewURL  string  `json:"preview_url"`
	RemoteURL   *string `json:"remote_url"`
	Description *string `json:"description"`
}

type statusJSON struct {
	ID                 string           `json:"id"`
	URI                string           `json:"uri"`
	URL                string           `json:"url"`
	CreatedAt          any              `json:"created_at"`
	EditedAt           *time.Time       `json:"edited_at"`
	Account            any              `json:"account"`
	Content            string           `json:"content"`
	Visibility         string           `json:"visibility"`
	Sensitive          bool             `json:"sensitive"`
	SpoilerText        string           `json:"spoiler_text"`
	Language           *string          `json:"language"`
	InReplyToID        *string          `json:"in_reply_to_id"`
	InReplyToAccountID *string          `json:"in_reply_to_account_id"`
	Reblog             *json.RawMessage `json:"reblog"`
	MediaAttachments   []mediaJSON      `json:"media_attachments"`
	Mentions           []mentionJSON    `json:"mentions"`
	Tags               []any            `json:"tags"`
	Emojis             []any            `json:"emojis"`
	RepliesCount       int              `json:"replies_count"`
	ReblogsCount       int              `json:"reblogs_count"`
	FavouritesCount    int              `json:"favourites_count"`
}

type notificationJSON struct {
	ID        string      `json:"id"`
	Type      string      `json:"type"`
	CreatedAt time.Time   `json:"created_at"`
	Account   accountJSON `json:"account"`
	Status    *statusJSON `json:"status"`
}

func (s *Server) accountJSON(a *Account) accountJSON {
	return accountJSON{ID: a.ID, Username: a.Username, Acct: a.Acct, DisplayName: a.DisplayName,
		URL: s.profileURL(a), CreatedAt: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)}
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// statusJSON serializes st; a status marked corrupt gets a broken account
// and date, as a misbehaving server or a proxy would produce.
// Callers hold s.mu.
func (s *Server) statusJSON(st *Status) *statusJSON {
	a := s.accounts[st.Account.ID]
	j := &statusJSON{
		ID:                 st.ID,
		URI:                "https://" + s.opts.Domain + "/users/" + a.Username + "/statuses/" + st.ID,
		URL:                s.profileURL(a) + "/" + st.ID,
		CreatedAt:          st.CreatedAt.UTC(),
		EditedAt:           st.EditedAt,
		Account:            s.accountJSON(a),
		Content:            st.Content,
		Visibility:         st.Visibility,
		SpoilerText:        st.SpoilerText,
		Sensitive:          st.SpoilerText != "",
		Language:           optional(st.Language),
		InReplyToID:        optional(st.InReplyToID),
		InReplyToAccountID: optional(st.InReplyToAccountID),
		MediaAttachments:   []mediaJSON{},
		Mentions:           []mentionJSON{},
		Tags:               []any{},
		Emojis:             []any{},
	}
	for _, m := range st.Media {
		j.MediaAttachments = append(j.MediaAttachments, mediaJSON{ID: m.ID, Type: m.Type, URL: m.URL,
			PreviewURL: m.URL, Description: optional(m.Description)})
	}
	for _, id := range st.Mentions {
		if m := s.accounts[id]; m != nil {
			j.Mentions = append(j.Mentions, mentionJSON{ID: m.ID, Username: m.Username, Acct: m.Acct, URL: s.profileURL(m)})
		}
	}
	if s.corrupt[st.ID] {
		j.Account = map[string]any{"username": 42}
		j.CreatedAt = "gestern"
	}
	return j
}
