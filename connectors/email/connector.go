package email

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/anliegen/anliegen"
	"github.com/emersion/go-imap/v2"
)

// Connector is one e-mail channel: it polls a mailbox over IMAP and sends
// replies by SMTP submission. It holds no connection between calls, so Poll
// and Reply may run at the same time.
type Connector struct {
	settings Settings
	secret   Secret
	since    time.Time // backfill start of a first poll or a re-scan
	logger   *slog.Logger
	now      func() time.Time
	onIdle   func() // test hook: IDLE has started
}

var _ anliegen.Connector = (*Connector)(nil)

// New returns the connector for ch. It returns an EInvalid *anliegen.Error
// when ch's settings or secret are unusable. Its signature fits the
// connectors registry's Factory.
func New(ch anliegen.Channel, logger *slog.Logger) (*Connector, error) {
	s, sec, err := ParseSettings(ch.Settings, ch.Secret)
	if err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	since := ch.BackfillSince
	if since.IsZero() {
		// Anchored to the channel's creation, not to now, so that a
		// re-scan months later still reaches back past every stored mail.
		start := ch.CreatedAt
		if start.IsZero() {
			start = time.Now()
		}
		since = start.Add(-defaultBackfill)
	}
	return &Connector{
		settings: s,
		secret:   sec,
		since:    since,
		logger:   logger.With("platform", "email", "channel_id", ch.ID),
		now:      time.Now,
	}, nil
}

// Factory is New with the signature of the connectors registry's Factory
// (a nil *Connector never hides in a non-nil interface).
func Factory(ch anliegen.Channel, logger *slog.Logger) (anliegen.Connector, error) {
	c, err := New(ch, logger)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Capabilities reports what mail allows: long private replies, no edits.
func (c *Connector) Capabilities() anliegen.Capabilities {
	return anliegen.Capabilities{MaxReplyLength: 0, PublicReplies: false, DirectMessages: true}
}

// cursor is where polling stands: the mailbox's UIDVALIDITY and the highest
// UID handled. It is stored as "v1:<uidvalidity>:<uid>".
type cursor struct {
	validity uint32
	last     imap.UID
}

func (c cursor) String() string {
	return fmt.Sprintf("v1:%d:%d", c.validity, c.last)
}

func parseCursor(s string) (cursor, bool, error) {
	if s == "" {
		return cursor{}, false, nil
	}
	parts := strings.Split(s, ":")
	if len(parts) != 3 || parts[0] != "v1" {
		return cursor{}, false, fmt.Errorf("bad e-mail cursor %q", s)
	}
	v, err1 := strconv.ParseUint(parts[1], 10, 32)
	u, err2 := strconv.ParseUint(parts[2], 10, 32)
	if err1 != nil || err2 != nil {
		return cursor{}, false, fmt.Errorf("bad e-mail cursor %q", s)
	}
	return cursor{validity: uint32(v), last: imap.UID(u)}, true, nil
}

// Poll fetches up to BatchSize messages after cursor. A first poll starts
// at the backfill date; a changed UIDVALIDITY (the mailbox was recreated or
// restored) re-scans from there too, and dedup on Message-ID absorbs what
// was stored before. Malformed messages are listed in Skipped and the
// cursor moves past them: the raw mail stays in the mailbox.
func (c *Connector) Poll(ctx context.Context, cursorStr string) (anliegen.PollResult, error) {
	cur, ok, err := parseCursor(cursorStr)
	if err != nil {
		// A cursor we cannot read must not stop the channel: re-scan.
		c.logger.Warn("unreadable cursor, re-scanning", "error", err)
		ok = false
	}
	sess, err := dialIMAP(ctx, c.settings, c.secret.IMAPPassword)
	if err != nil {
		return anliegen.PollResult{}, err
	}
	defer sess.logout()
	sel, err := sess.c.Select(c.settings.Mailbox, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		return anliegen.PollResult{}, selectError(ctx, err)
	}
	res := anliegen.PollResult{Cursor: cursorStr}
	if !ok || cur.validity != sel.UIDValidity {
		if ok {
			c.logger.Info("uidvalidity changed, re-scanning", "old", cur.validity, "new", sel.UIDValidity)
		}
		start, err := c.firstUID(ctx, sess, sel)
		if err != nil {
			return anliegen.PollResult{}, err
		}
		cur = cursor{validity: sel.UIDValidity, last: start - 1}
		res.Cursor = cur.String()
	}
	// Nothing new: skipping here also sidesteps the n:* quirk.
	if sel.UIDNext != 0 && sel.UIDNext <= cur.last+1 {
		return res, nil
	}
	return c.fetchBatch(ctx, sess, sel, cur, res)
}

// firstUID returns the first UID to fetch on a first poll or a re-scan:
// the first message that arrived on or after the backfill date.
func (c *Connector) firstUID(ctx context.Context, sess *imapSession, sel *imap.SelectData) (imap.UID, error) {
	if sel.NumMessages == 0 {
		return max(sel.UIDNext, 1), nil
	}
	data, err := sess.c.UIDSearch(&imap.SearchCriteria{Since: c.since}, nil).Wait()
	if err != nil {
		return 0, imapError(ctx, "imap search", err)
	}
	uids := data.AllUIDs()
	if len(uids) == 0 {
		return max(sel.UIDNext, 1), nil
	}
	first := uids[0]
	for _, u := range uids {
		first = min(first, u)
	}
	return first, nil
}

// fetchBatch fetches one batch after cur. The last batch asks for n:* so
// that mail arriving meanwhile is included; the server then returns the
// highest message even when n is above it, which the UID check drops.
func (c *Connector) fetchBatch(ctx context.Context, sess *imapSession, sel *imap.SelectData, cur cursor, res anliegen.PollResult) (anliegen.PollResult, error) {
	from := cur.last + 1
	to := from + imap.UID(c.settings.BatchSize) - 1
	var set imap.UIDSet
	if sel.UIDNext != 0 && to < sel.UIDNext-1 {
		set.AddRange(from, to)
		res.More = true
	} else {
		set.AddRange(from, 0) // from:*
		to = 0
	}
	last := cur.last
	err := sess.fetchUIDs(set, c.settings.MaxMessageBytes, func(f fetched) {
		if f.uid <= cur.last || (to != 0 && f.uid > to) {
			return
		}
		last = max(last, f.uid)
		c.addItem(&res, f)
	})
	if err != nil {
		return anliegen.PollResult{}, imapError(ctx, "imap fetch", err)
	}
	switch {
	case res.More:
		last = to // UIDs in the range that were not returned are expunged
	case sel.UIDNext != 0:
		last = max(last, sel.UIDNext-1)
	}
	res.Cursor = cursor{validity: cur.validity, last: last}.String()
	c.logger.Debug("polled", "items", len(res.Items), "skipped", len(res.Skipped), "more", res.More, "cursor", res.Cursor)
	return res, nil
}

func (c *Connector) addItem(res *anliegen.PollResult, f fetched) {
	it, err := Parse(f.raw, ParseOptions{Received: f.internal, OwnAddress: c.settings.FromAddress, Truncated: f.truncated, Now: c.now})
	if err == nil {
		err = it.Validate()
	}
	if err != nil {
		raw := f.raw
		if len(raw) > 4096 {
			raw = raw[:4096]
		}
		res.Skipped = append(res.Skipped, anliegen.Skipped{ID: "uid:" + strconv.FormatUint(uint64(f.uid), 10), Reason: err.Error(), Raw: raw})
		return
	}
	if f.truncated {
		c.logger.Info("message larger than max_message_bytes, attachments cut", "uid", f.uid)
	}
	res.Items = append(res.Items, it)
}
