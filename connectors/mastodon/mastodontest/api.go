package mastodontest

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

type handler func(w http.ResponseWriter, r *http.Request, a *Account)

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

func (s *Server) logged(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		at := s.opts.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		s.mu.Lock()
		s.requests = append(s.requests, Request{At: at, Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Status: rec.status})
		s.mu.Unlock()
	})
}

// authed checks the bearer token and the rate limit, then calls h.
func (s *Server) authed(h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		s.mu.Lock()
		a := s.byToken[token]
		s.mu.Unlock()
		if !ok || a == nil {
			writeError(w, http.StatusUnauthorized, "The access token is invalid")
			return
		}
		key := a.Token
		if s.opts.GoToSocial {
			key, _, _ = net.SplitHostPort(r.RemoteAddr)
		}
		if !s.spend(w, key) {
			msg := "Too many requests"
			if s.opts.GoToSocial {
				msg = "rate limit reached"
			}
			writeError(w, http.StatusTooManyRequests, msg)
			return
		}
		h(w, r, a)
	}
}

// spend takes one request from key's budget and sets the rate-limit
// headers; false when the budget is exhausted.
func (s *Server) spend(w http.ResponseWriter, key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opts.Now()
	b := s.buckets[key]
	if b == nil || !now.Before(b.start.Add(s.opts.RateWindow)) {
		b = &bucket{start: now}
		s.buckets[key] = b
	}
	ok := b.used < s.opts.RateLimit
	if ok {
		b.used++
	}
	h := w.Header()
	h.Set("X-RateLimit-Limit", strconv.Itoa(s.opts.RateLimit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(s.opts.RateLimit-b.used))
	h.Set("X-RateLimit-Reset", b.start.Add(s.opts.RateWindow).UTC().Format("2006-01-02T15:04:05.000000Z"))
	return ok
}

func (s *Server) handleInstanceV1(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"uri": s.opts.Domain, "title": "Fake " + s.opts.Domain, "version": s.version(),
		"configuration": map[string]any{"statuses": map[string]any{
			"max_characters": s.opts.MaxChars, "characters_reserved_per_url": 23}},
	})
}

func (s *Server) handleInstanceV2(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"domain": s.opts.Domain, "title": "Fake " + s.opts.Domain, "version": s.version(),
		"configuration": map[string]any{"statuses": map[string]any{
			"max_characters": s.opts.MaxChars, "max_media_attachments": 4, "characters_reserved_per_url": 23}},
	})
}

func (s *Server) version() string {
	if s.opts.GoToSocial {
		return "0.17.0 git-fake"
	}
	return "4.3.0"
}

func (s *Server) handleVerify(w http.ResponseWriter, r *http.Request, a *Account) {
	s.mu.Lock()
	j := s.accountJSON(a)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, j)
}

// visible reports whether viewer may see st. Callers hold s.mu.
func visible(st *Status, viewer *Account) bool {
	if st.Deleted {
		return false
	}
	if st.Visibility != "direct" && st.Visibility != "private" {
		return true
	}
	return st.Account.ID == viewer.ID || slices.Contains(st.Mentions, viewer.ID)
}

func queryList(q url.Values, name string) []string {
	return append(q[name+"[]"], q[name]...)
}

func (s *Server) handleNotifications(w http.ResponseWriter, r *http.Request, a *Account) {
	q := r.URL.Query()
	limit := 40
	if n, err := strconv.Atoi(q.Get("limit")); err == nil && n > 0 {
		limit = min(n, 80)
	}
	types, exclude := queryList(q, "types"), queryList(q, "exclude_types")
	withFiltered := q.Get("include_filtered") == "true"
	minID, maxID, sinceID := q.Get("min_id"), q.Get("max_id"), q.Get("since_id")

	s.mu.Lock()
	keep := func(n *notification) bool {
		switch {
		case len(types) > 0 && !slices.Contains(types, n.typ), slices.Contains(exclude, n.typ):
		case n.status != nil && n.status.Deleted: // a delete removes the notification
		case n.status != nil && n.status.Visibility == "direct" && !withFiltered:
			// The default notification policy filters private mentions
			// from accounts the user does not follow (Mastodon 4.3).
		case sinceID != "" && compareID(n.id, sinceID) <= 0,
			maxID != "" && compareID(n.id, maxID) >= 0:
		default:
			return true
		}
		return false
	}
	// Notifications are kept in id order: find the edge by binary search
	// and walk from there, so a page costs the same at any depth.
	all := s.notifications[a.ID]
	var page []*notification
	if minID != "" {
		// min_id gives the page right after min_id, still newest-first.
		i, _ := slices.BinarySearchFunc(all, minID, func(n *notification, id string) int { return compareID(n.id, id) })
		for ; i < len(all) && len(page) < limit; i++ {
			if compareID(all[i].id, minID) > 0 && keep(all[i]) {
				page = append(page, all[i])
			}
		}
	} else {
		i := len(all)
		if maxID != "" {
			i, _ = slices.BinarySearchFunc(all, maxID, func(n *notification, id string) int { return compareID(n.id, id) })
		}
		for i--; i >= 0 && len(page) < limit; i-- {
			if sinceID != "" && compareID(all[i].id, sinceID) <= 0 {
				break
			}
			if keep(all[i]) {
				page = append(page, all[i])
			}
		}
		slices.Reverse(page)
	}
	slices.Reverse(page)
	out := make([]notificationJSON, 0, len(page))
	for _, n := range page {
		j := notificationJSON{ID: n.id, Type: n.typ, CreatedAt: n.createdAt.UTC(), Account: s.accountJSON(n.from)}
		if n.status != nil {
			j.Status = s.statusJSON(n.status)
		}
		out = append(out, j)
	}
	s.mu.Unlock()
	if len(page) > 0 {
		w.Header().Set("Link", s.link(r, page[len(page)-1].id, page[0].id))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) link(r *http.Request, next, prev string) string {
	base := s.URL
	if base == "" {
		base = "http://" + r.Host
	}
	mk := func(param, id string) string {
		q := r.URL.Query()
		q.Del("min_id")
		q.Del("max_id")
		q.Del("since_id")
		q.Set(param, id)
		return base + r.URL.Path + "?" + q.Encode()
	}
	return fmt.Sprintf(`<%s>; rel="next", <%s>; rel="prev"`, mk("max_id", next), mk("min_id", prev))
}

func (s *Server) handleStatus(w http.ResponseWriter, r *http.Request, a *Account) {
	s.mu.Lock()
	st := s.byID[r.PathValue("id")]
	if st == nil || !visible(st, a) {
		s.mu.Unlock()
		writeError(w, http.StatusNotFound, "Record not found")
		return
	}
	j := s.statusJSON(st)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, j)
}

func (s *Server) handleStatusesMulti(w http.ResponseWriter, r *http.Request, a *Account) {
	s.mu.Lock()
	out := []*statusJSON{}
	for _, id := range queryList(r.URL.Query(), "id") {
		if st := s.byID[id]; st != nil && visible(st, a) {
			out = append(out, s.statusJSON(st))
		}
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleContext(w http.ResponseWriter, r *http.Request, a *Account) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.byID[r.PathValue("id")]
	if st == nil || !visible(st, a) {
		writeError(w, http.StatusNotFound, "Record not found")
		return
	}
	ancestors := []*statusJSON{}
	for p := s.byID[st.InReplyToID]; p != nil && visible(p, a); p = s.byID[p.InReplyToID] {
		ancestors = append(ancestors, s.statusJSON(p))
	}
	slices.Reverse(ancestors)
	descendants := []*statusJSON{}
	for _, d := range s.statuses {
		if visible(d, a) && s.descends(d, st.ID) {
			descendants = append(descendants, s.statusJSON(d))
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"ancestors": ancestors, "descendants": descendants})
}

// descends reports whether st replies, directly or not, to id.
func (s *Server) descends(st *Status, id string) bool {
	for p := st.InReplyToID; p != ""; {
		if p == id {
			return true
		}
		ps := s.byID[p]
		if ps == nil {
			return false
		}
		p = ps.InReplyToID
	}
	return false
}

func (s *Server) handleAccountStatuses(w http.ResponseWriter, r *http.Request, a *Account) {
	s.mu.Lock()
	out := []*statusJSON{}
	id := r.PathValue("id")
	for i := len(s.statuses) - 1; i >= 0 && len(out) < 40; i-- {
		if st := s.statuses[i]; st.Account.ID == id && visible(st, a) {
			out = append(out, s.statusJSON(st))
		}
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

type postRequest struct {
	Status      string `json:"status"`
	InReplyToID string `json:"in_reply_to_id"`
	Visibility  string `json:"visibility"`
	SpoilerText string `json:"spoiler_text"`
	Language    string `json:"language"`
}

func readPost(r *http.Request) (postRequest, error) {
	var p postRequest
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		err := json.NewDecoder(r.Body).Decode(&p)
		return p, err
	}
	if err := r.ParseForm(); err != nil {
		return p, err
	}
	return postRequest{Status: r.PostForm.Get("status"), InReplyToID: r.PostForm.Get("in_reply_to_id"),
		Visibility: r.PostForm.Get("visibility"), SpoilerText: r.PostForm.Get("spoiler_text"),
		Language: r.PostForm.Get("language")}, nil
}

func (s *Server) handlePost(w http.ResponseWriter, r *http.Request, a *Account) {
	p, err := readPost(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "cannot parse request body")
		return
	}
	key := r.Header.Get("Idempotency-Key")
	s.mu.Lock()
	if key != "" && !s.opts.GoToSocial {
		if e, ok := s.idem[a.ID+" "+key]; ok && s.opts.Now().Sub(e.at) < time.Hour {
			j := s.statusJSON(s.byID[e.statusID])
			s.mu.Unlock()
			writeJSON(w, http.StatusOK, j)
			return
		}
	}
	st, code, msg := s.create(a, Post{Text: p.Status, InReplyTo: p.InReplyToID, Visibility: p.Visibility,
		SpoilerText: p.SpoilerText, Language: p.Language}, true)
	if st == nil {
		s.mu.Unlock()
		writeError(w, code, msg)
		return
	}
	if key != "" && !s.opts.GoToSocial {
		st.IdempotencyKey = key
		s.idem[a.ID+" "+key] = idemEntry{statusID: st.ID, at: st.CreatedAt}
	}
	j, snap, hook := s.statusJSON(st), *st, s.afterCreate
	s.mu.Unlock()
	if hook != nil {
		hook(snap)
	}
	writeJSON(w, http.StatusOK, j)
}

// create stores a status; on failure it returns nil with an HTTP status and
// message. Callers hold s.mu.
func (s *Server) create(a *Account, p Post, checkLength bool) (*Status, int, string) {
	if p.Visibility == "" {
		p.Visibility = "public"
	}
	switch {
	case strings.TrimSpace(p.Text) == "" && len(p.Media) == 0:
		return nil, http.StatusUnprocessableEntity, "Validation failed: Text can't be blank"
	case !slices.Contains([]string{"public", "unlisted", "private", "direct"}, p.Visibility):
		return nil, http.StatusUnprocessableEntity, "Validation failed: Visibility is not included in the list"
	case checkLength && CountChars(p.Text) > s.opts.MaxChars:
		return nil, http.StatusUnprocessableEntity, fmt.Sprintf("Validation failed: Text character limit of %d exceeded", s.opts.MaxChars)
	}
	st := &Status{Account: *a, Text: p.Text, Content: s.render(p.Text), Visibility: p.Visibility,
		SpoilerText: p.SpoilerText, Language: p.Language, Media: p.Media}
	if p.InReplyTo != "" {
		parent := s.byID[p.InReplyTo]
		if parent == nil || !visible(parent, a) {
			return nil, http.StatusNotFound, "Record not found"
		}
		st.InReplyToID, st.InReplyToAccountID = parent.ID, parent.Account.ID
	}
	now := s.opts.Now()
	st.ID, st.CreatedAt = s.newID(), now
	for i := range st.Media {
		if st.Media[i].ID == "" {
			st.Media[i].ID = s.newID()
		}
	}
	mentioned := s.mentioned(p.Text)
	for _, m := range mentioned {
		st.Mentions = append(st.Mentions, m.ID)
	}
	s.statuses = append(s.statuses, st)
	s.byID[st.ID] = st
	for _, m := range mentioned {
		if m.ID != a.ID {
			s.notifications[m.ID] = append(s.notifications[m.ID],
				&notification{id: s.newID(), typ: "mention", createdAt: now, from: s.accounts[a.ID], status: st})
		}
	}
	return st, 0, ""
}

func (s *Server) handleEdit(w http.ResponseWriter, r *http.Request, a *Account) {
	p, err := readPost(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "cannot parse request body")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.byID[r.PathValue("id")]
	if st == nil || st.Deleted || st.Account.ID != a.ID {
		writeError(w, http.StatusNotFound, "Record not found")
		return
	}
	if CountChars(p.Status) > s.opts.MaxChars {
		writeError(w, http.StatusUnprocessableEntity, fmt.Sprintf("Validation failed: Text character limit of %d exceeded", s.opts.MaxChars))
		return
	}
	s.edit(st, p.Status)
	writeJSON(w, http.StatusOK, s.statusJSON(st))
}

func (s *Server) handleDelete(w http.ResponseWriter, r *http.Request, a *Account) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.byID[r.PathValue("id")]
	if st == nil || st.Deleted || st.Account.ID != a.ID {
		writeError(w, http.StatusNotFound, "Record not found")
		return
	}
	j := s.statusJSON(st)
	st.Deleted = true
	writeJSON(w, http.StatusOK, j)
}

// edit changes st's text; the id stays and edited_at is set. Callers hold s.mu.
func (s *Server) edit(st *Status, text string) {
	now := s.opts.Now()
	st.Text, st.Content, st.EditedAt = text, s.render(text), &now
}

// CountChars counts text as Mastodon does: every URL as 23 characters, a
// mention as its local part only, everything else in code points.
func CountChars(text string) int {
	n := 0
	last := 0
	for _, loc := range tokenRE.FindAllStringIndex(text, -1) {
		n += utf8.RuneCountInString(text[last:loc[0]])
		tok := text[loc[0]:loc[1]]
		if strings.HasPrefix(tok, "@") {
			user, _, _ := strings.Cut(tok[1:], "@")
			n += 1 + utf8.RuneCountInString(user)
		} else {
			n += 23
		}
		last = loc[1]
	}
	return n + utf8.RuneCountInString(text[last:])
}
