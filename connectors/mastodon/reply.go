package mastodon

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/anliegen/anliegen"
)

// URLLength is what every URL counts towards the status limit, whatever
// its real length.
const URLLength = 23

var tokenRE = regexp.MustCompile(`https?://[^\s<>"]+|@[A-Za-z0-9_]+(?:@[A-Za-z0-9.-]+[A-Za-z0-9])?`)

// Length counts text as Mastodon does against max_characters: a URL counts
// URLLength, a mention only its local part ("@anna@example.org" counts as
// "@anna"), everything else one per code point.
func Length(text string) int {
	n, last := 0, 0
	for _, loc := range tokenRE.FindAllStringIndex(text, -1) {
		n += utf8.RuneCountInString(text[last:loc[0]])
		tok := text[loc[0]:loc[1]]
		if user, ok := strings.CutPrefix(tok, "@"); ok {
			user, _, _ = strings.Cut(user, "@")
			n += 1 + utf8.RuneCountInString(user)
		} else {
			n += URLLength
		}
		last = loc[1]
	}
	return n + utf8.RuneCountInString(text[last:])
}

// replyText puts the citizen's handle in front of the text: direct
// statuses reach only the accounts they mention, and the API adds none.
func replyText(m anliegen.OutboundMessage) (string, error) {
	acct := strings.TrimPrefix(strings.TrimSpace(m.Recipient.Handle), "@")
	if acct == "" || strings.ContainsAny(acct, " \t\n") {
		return "", anliegen.Invalid("recipient", "the citizen's Mastodon handle is unknown")
	}
	text := strings.TrimSpace(m.Text)
	if text == "" {
		return "", anliegen.Invalid("text", "must not be empty")
	}
	mention := "@" + acct
	if len(text) >= len(mention) && strings.EqualFold(text[:len(mention)], mention) {
		return text, nil
	}
	return mention + " " + text, nil
}

// Reply posts m as a status answering m.InReplyTo: direct for a direct
// message, else with the channel's visibility. The outbound id goes out as
// Idempotency-Key, which Mastodon keeps for an hour, so a retry after a
// crash returns the first status instead of posting again; after an
// earlier attempt it first looks for the reply in the thread, which also
// covers GoToSocial (no Idempotency-Key) and retries after the hour. A
// reply over the instance's limit fails before sending with a permanent
// error wrapping anliegen.Invalid("text"); if the limit could not be
// learnt, the instance's own 422 fails it just as permanently.
func (c *Connector) Reply(ctx context.Context, m anliegen.OutboundMessage) (string, error) {
	text, err := replyText(m)
	if err != nil {
		return "", &anliegen.PlatformError{Kind: anliegen.ErrPermanent, Err: err}
	}
	if n, limit := Length(text), c.limit(ctx); limit > 0 && n > limit {
		return "", &anliegen.PlatformError{Kind: anliegen.ErrPermanent, Status: http.StatusUnprocessableEntity,
			Err: anliegen.Invalid("text", "the reply has %d characters, the instance allows %d (a link counts %d)", n, limit, URLLength)}
	}
	if m.Attempts > 1 && m.InReplyTo != "" {
		if id, ok := c.readBack(ctx, m.InReplyTo, text); ok {
			c.logger.InfoContext(ctx, "reply already posted", "outbound_id", m.ID, "status_id", id)
			return id, nil
		}
	}
	vis := c.settings.Visibility
	if vis == "" {
		vis = "public"
	}
	if m.Kind == anliegen.KindDM {
		vis = "direct"
	}
	body := map[string]string{"status": text, "visibility": vis}
	if m.InReplyTo != "" {
		body["in_reply_to_id"] = m.InReplyTo
	}
	var st status
	_, err = c.postJSON(ctx, "/api/v1/statuses", body, http.Header{"Idempotency-Key": {m.IdempotencyKey()}}, &st)
	if err != nil {
		return "", fmt.Errorf("post reply %d: %w", m.ID, err)
	}
	if st.ID == "" {
		return "", &anliegen.PlatformError{Kind: anliegen.ErrTemporary, Err: fmt.Errorf("post reply %d: no status id in the response", m.ID)}
	}
	if root := m.ThreadID; root != "" {
		c.setRoot(st.ID, root) // a citizen answering our reply stays in the thread
	}
	return st.ID, nil
}

// readBack looks among the replies to parent for a status of ours with
// text, and returns its id.
func (c *Connector) readBack(ctx context.Context, parent, text string) (string, bool) {
	own, err := c.accountID(ctx)
	if err != nil {
		return "", false
	}
	var tc struct {
		Descendants []status `json:"descendants"`
	}
	if _, err := c.get(ctx, "/api/v1/statuses/"+url.PathEscape(parent)+"/context", nil, &tc); err != nil {
		return "", false
	}
	want := comparable(text)
	for _, d := range tc.Descendants {
		if d.Account != nil && d.Account.ID == own && str(d.InReplyToID) == parent && comparable(HTMLToText(d.Content)) == want {
			return d.ID, true
		}
	}
	return "", false
}

// comparable reduces a status text to what survives rendering: mentions
// (rendered without their domain) dropped, whitespace collapsed.
func comparable(s string) string {
	s = tokenRE.ReplaceAllStringFunc(s, func(tok string) string {
		if strings.HasPrefix(tok, "@") {
			return ""
		}
		return tok
	})
	return strings.Join(strings.Fields(s), " ")
}
