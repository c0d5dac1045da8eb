package mastodon

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/anliegen/anliegen"
)

// DefaultBackfill is how far back a new channel fetches history when the
// channel sets no BackfillSince.
const DefaultBackfill = 30 * 24 * time.Hour

// backfillPrefix marks a cursor in the middle of a backfill. It holds the
// newest notification id seen when the backfill started (the live cursor
// once the backfill is done) and the id to continue below.
const backfillPrefix = "backfill:"

type cursorState struct {
	live     string // min_id for live polling; "" before the first item
	below    string // max_id of the next backfill page
	backfill bool
}

func parseCursor(c string) cursorState {
	rest, ok := strings.CutPrefix(c, backfillPrefix)
	if !ok {
		return cursorState{live: c}
	}
	q, _ := url.ParseQuery(rest)
	return cursorState{live: q.Get("top"), below: q.Get("below"), backfill: true}
}

func (s cursorState) String() string {
	if !s.backfill {
		return s.live
	}
	return backfillPrefix + url.Values{"top": {s.live}, "below": {s.below}}.Encode()
}

// Poll fetches the mentions after cursor. With an empty cursor it starts a
// backfill, newest page first, down to the channel's BackfillSince; each
// backfill page returns More so the runtime keeps going, and the last one
// leaves the live cursor at the newest id seen when it began. Live polls
// use min_id, whose pages are newest-first: the cursor becomes the page's
// first id and More says the page was full.
func (c *Connector) Poll(ctx context.Context, cursor string) (anliegen.PollResult, error) {
	ownID, err := c.accountID(ctx)
	if err != nil {
		return anliegen.PollResult{}, err
	}
	c.limit(ctx) // learn the reply limit for Capabilities; failures fall back
	cur := parseCursor(cursor)
	q := url.Values{"types[]": {"mention"}, "include_filtered": {"true"}, "limit": {fmt.Sprint(pageSize)}}
	switch {
	case cur.backfill:
		q.Set("max_id", cur.below)
	case cur.live != "":
		q.Set("min_id", cur.live)
	}
	var body json.RawMessage
	resp, err := c.get(ctx, "/api/v1/notifications", q, &body)
	res := anliegen.PollResult{Cursor: cursor, RateLimit: resp.rateLimit}
	if err != nil {
		return res, err
	}
	page, err := decodePage(body)
	if err != nil {
		// A truncated or garbled page is the server's fault, not the
		// items': retry it later rather than skip what it held.
		return res, &anliegen.PlatformError{Kind: anliegen.ErrTemporary, Status: resp.status, Err: fmt.Errorf("decode notifications: %w", err)}
	}
	top, bottom := pageBounds(resp.header, page.ids())
	if len(page.entries) > 0 && (top == "" || bottom == "") {
		return res, &anliegen.PlatformError{Kind: anliegen.ErrTemporary, Status: resp.status, Err: fmt.Errorf("notifications page without readable ids")}
	}
	horizon := c.horizon()
	items, skipped, older, err := c.mapPage(ctx, &page, ownID, horizon, cur.backfill || cur.live == "")
	if err != nil {
		return res, err
	}
	res.Items, res.Skipped = items, skipped
	switch {
	case len(page.entries) == 0 && cur.backfill: // the last backfill page was exactly full
		res.Cursor, res.More = cur.live, true
	case len(page.entries) == 0:
	case cur.live == "" || cur.backfill:
		next := cursorState{live: cur.live, below: bottom, backfill: true}
		if cur.live == "" {
			next.live = top
		}
		if len(page.entries) < pageSize || older {
			next = cursorState{live: next.live}
		}
		// Another page either continues the backfill or, after it, catches
		// up with what arrived meanwhile.
		res.Cursor, res.More = next.String(), true
	default:
		res.Cursor, res.More = top, len(page.entries) >= pageSize
	}
	if !res.More && !cur.backfill && !scarce(res.RateLimit) {
		res.Items = append(res.Items, c.refetchRecent(ctx, &res)...)
	}
	c.remember(res.Items)
	return res, nil
}

// scarce reports a nearly spent rate limit, which optional requests (the
// refetch of recent statuses) leave to the ones that matter.
func scarce(rl *anliegen.RateLimit) bool {
	return rl != nil && rl.Remaining*5 <= rl.Limit
}

func (c *Connector) horizon() time.Time {
	if !c.since.IsZero() {
		return c.since
	}
	return c.now().Add(-DefaultBackfill)
}

var linkRE = regexp.MustCompile(`<([^>]*)>\s*;\s*rel="?(next|prev)"?`)

// pageBounds returns the page's newest and oldest notification ids: from
// the Link header, which survives a malformed element, else from the
// elements themselves.
func pageBounds(h http.Header, ids []string) (top, bottom string) {
	for _, m := range linkRE.FindAllStringSubmatch(strings.Join(h.Values("Link"), ","), -1) {
		u, err := url.Parse(m[1])
		if err != nil {
			continue
		}
		if m[2] == "prev" {
			top = u.Query().Get("min_id")
		} else {
			bottom = u.Query().Get("max_id")
		}
	}
	if top != "" && bottom != "" {
		return top, bottom
	}
	if top == "" && len(ids) > 0 {
		top = ids[0]
	}
	if bottom == "" && len(ids) > 0 {
		bottom = ids[len(ids)-1]
	}
	return top, bottom
}

// mapPage maps a newest-first page into items, oldest first, so that a
// reply's parent is seen before the reply. Notifications older than
// horizon are dropped when backfilling; older reports that one was seen.
// An error (from looking up a thread root) fails the whole poll.
func (c *Connector) mapPage(ctx context.Context, page *page, ownID string, horizon time.Time, backfilling bool) (items []anliegen.Item, skipped []anliegen.Skipped, older bool, err error) {
	items = make([]anliegen.Item, 0, len(page.entries))
	for i := len(page.entries) - 1; i >= 0; i-- {
		n := &page.entries[i].n
		if derr := page.entries[i].err; derr != nil {
			skipped = append(skipped, anliegen.Skipped{ID: n.ID, Reason: derr.Error(), Raw: truncate(page.raw(i))})
			continue
		}
		if backfilling && !n.CreatedAt.IsZero() && n.CreatedAt.Before(horizon) {
			older = true
			continue
		}
		if n.Type != "mention" {
			continue // not asked for; nothing to store
		}
		it, merr := mapStatus(n.Status, ownID)
		if merr != nil {
			skipped = append(skipped, anliegen.Skipped{ID: n.ID, Reason: merr.Error(), Raw: truncate(page.raw(i))})
			continue
		}
		it.ThreadID, err = c.threadRoot(ctx, it.ExternalID, it.ParentID)
		if err != nil {
			return nil, nil, false, err
		}
		items = append(items, it)
	}
	return items, skipped, older, nil
}

// maxRoots bounds the thread-root cache; past it the cache starts over.
const maxRoots = 50_000

// threadRoot returns the id of the status at the top of id's reply chain:
// for a comment the town's post it hangs under, for a direct message the
// message that opened the conversation. Roots are cached; an unknown
// parent costs one context request.
func (c *Connector) threadRoot(ctx context.Context, id, parent string) (string, error) {
	if parent == "" {
		c.setRoot(id, id)
		return id, nil
	}
	c.mu.Lock()
	root, ok := c.roots[parent]
	c.mu.Unlock()
	if !ok {
		var tc struct {
			Ancestors []struct {
				ID string `json:"id"`
			} `json:"ancestors"`
		}
		_, err := c.get(ctx, "/api/v1/statuses/"+url.PathEscape(parent)+"/context", nil, &tc)
		switch {
		case err == nil && len(tc.Ancestors) > 0 && tc.Ancestors[0].ID != "":
			root = tc.Ancestors[0].ID
		case err == nil, anliegen.PlatformErrorKindOf(err) == anliegen.ErrPermanent:
			root = parent // the parent is the root, or gone: thread under it
		default:
			return "", fmt.Errorf("thread of status %s: %w", id, err)
		}
		c.setRoot(parent, root)
	}
	c.setRoot(id, root)
	return root, nil
}

func (c *Connector) setRoot(id, root string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.roots) >= maxRoots {
		clear(c.roots)
	}
	c.roots[id] = root
}

// recentItem is an item the connector checks again for edits and deletes,
// which Mastodon does not notify.
type recentItem struct {
	item anliegen.Item
}

const (
	maxRecent    = 60
	recentWindow = 48 * time.Hour
	multiGetMax  = 20 // ids per GET /api/v1/statuses
)

// remember keeps the newest items for refetchRecent.
func (c *Connector) remember(items []anliegen.Item) {
	if c.refetch < 0 || len(items) == 0 {
		return
	}
	cutoff := c.now().Add(-recentWindow)
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, it := range items {
		c.recent = slices.DeleteFunc(c.recent, func(r recentItem) bool { return r.item.ExternalID == it.ExternalID })
		if !it.Deleted && !it.FromUs && !it.CreatedAt.Before(cutoff) {
			c.recent = append(c.recent, recentItem{item: it})
		}
	}
	if len(c.recent) > maxRecent {
		c.recent = slices.Delete(c.recent, 0, len(c.recent)-maxRecent)
	}
}

// refetchRecent fetches the recent statuses again, every c.refetch, and
// returns an item for each that was edited or deleted since. It never fails
// the poll: this is a best-effort look for changes the API does not push.
func (c *Connector) refetchRecent(ctx context.Context, res *anliegen.PollResult) []anliegen.Item {
	now := c.now()
	c.mu.Lock()
	if c.refetch < 0 || c.noMultiGet || now.Sub(c.lastRefetch) < c.refetch || len(c.recent) == 0 {
		c.mu.Unlock()
		return nil
	}
	c.lastRefetch = now
	cutoff := now.Add(-recentWindow)
	c.recent = slices.DeleteFunc(c.recent, func(r recentItem) bool { return r.item.CreatedAt.Before(cutoff) })
	recent := slices.Clone(c.recent)
	ownID := c.ownID
	c.mu.Unlock()

	var out []anliegen.Item
	for chunk := range slices.Chunk(recent, multiGetMax) {
		if scarce(res.RateLimit) {
			return out
		}
		q := url.Values{}
		for _, r := range chunk {
			q.Add("id[]", r.item.ExternalID)
		}
		var sts []status
		resp, err := c.get(ctx, "/api/v1/statuses", q, &sts)
		if resp.rateLimit != nil {
			res.RateLimit = resp.rateLimit
		}
		if err != nil {
			if resp.status == http.StatusNotFound { // before Mastodon 4.3
				c.mu.Lock()
				c.noMultiGet = true
				c.mu.Unlock()
			}
			c.logger.DebugContext(ctx, "refetch recent statuses", "err", err)
			return out
		}
		got := map[string]*status{}
		for i := range sts {
			got[sts[i].ID] = &sts[i]
		}
		for _, r := range chunk {
			if it, ok := changed(r.item, got[r.item.ExternalID], ownID); ok {
				out = append(out, it)
			}
		}
	}
	return out
}

// changed returns the item to store when st differs from old: a delete
// when st is missing, an edit when its edited_at moved.
func changed(old anliegen.Item, st *status, ownID string) (anliegen.Item, bool) {
	if st == nil {
		old.Deleted = true
		return old, true
	}
	if st.EditedAt == nil || (old.EditedAt != nil && !st.EditedAt.After(*old.EditedAt)) {
		return anliegen.Item{}, false
	}
	it, err := mapStatus(st, ownID)
	if err != nil {
		return anliegen.Item{}, false
	}
	it.ThreadID, it.FromUs = old.ThreadID, old.FromUs
	return it, true
}
