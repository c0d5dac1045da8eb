package mastodontest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Post is a status to create with Server.Post.
type Post struct {
	Text        string
	InReplyTo   string // status id
	Visibility  string // public (default), unlisted, private, direct
	SpoilerText string
	Language    string
	Media       []Media
}

// ErrNotFound is returned for an unknown or deleted status.
var ErrNotFound = errors.New("mastodontest: status not found")

// Post creates a status by author as a client would, without the length
// check (the author may be on another instance). Mentioned local accounts
// get a mention notification.
func (s *Server) Post(author Account, p Post) (Status, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.accounts[author.ID]
	if a == nil {
		return Status{}, fmt.Errorf("mastodontest: unknown account %q", author.ID)
	}
	st, code, msg := s.create(a, p, false)
	if st == nil {
		return Status{}, fmt.Errorf("mastodontest: post: %d %s", code, msg)
	}
	return s.snapshot(st), nil
}

// Mention posts a public status by author that mentions the town, adding
// "@town " in front unless text already mentions it.
func (s *Server) Mention(author Account, text string) (Status, error) {
	return s.Post(author, Post{Text: s.withTownMention(text)})
}

// DirectMessage sends the town a direct message from author.
func (s *Server) DirectMessage(author Account, text string) (Status, error) {
	return s.Post(author, Post{Text: s.withTownMention(text), Visibility: "direct"})
}

func (s *Server) withTownMention(text string) string {
	if strings.Contains(text, "@"+s.town.Username) {
		return text
	}
	return "@" + s.town.Username + " " + text
}

// Reply answers parentID as the web client does: it mentions the parent's
// author and the accounts the parent mentioned, and keeps a direct parent
// direct.
func (s *Server) Reply(author Account, parentID, text string) (Status, error) {
	s.mu.Lock()
	parent := s.byID[parentID]
	if parent == nil || parent.Deleted {
		s.mu.Unlock()
		return Status{}, ErrNotFound
	}
	var prefix []string
	for _, id := range append([]string{parent.Account.ID}, parent.Mentions...) {
		if a := s.accounts[id]; a != nil && id != author.ID && !strings.Contains(text, "@"+a.Acct) &&
			!slices.Contains(prefix, "@"+a.Acct) {
			prefix = append(prefix, "@"+a.Acct)
		}
	}
	vis := "public"
	if parent.Visibility == "direct" {
		vis = "direct"
	}
	s.mu.Unlock()
	if len(prefix) > 0 {
		text = strings.Join(prefix, " ") + " " + text
	}
	return s.Post(author, Post{Text: text, InReplyTo: parentID, Visibility: vis})
}

// Edit changes a status's text: the id stays, edited_at is set, and no
// notification is sent.
func (s *Server) Edit(id, text string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.byID[id]
	if st == nil || st.Deleted {
		return ErrNotFound
	}
	s.edit(st, text)
	return nil
}

// Delete deletes a status: it answers 404 from now on and its
// notifications vanish.
func (s *Server) Delete(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.byID[id]
	if st == nil || st.Deleted {
		return ErrNotFound
	}
	st.Deleted = true
	return nil
}

// Status returns a status by id, deleted ones included.
func (s *Server) Status(id string) (Status, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.byID[id]
	if st == nil {
		return Status{}, false
	}
	return s.snapshot(st), true
}

// StatusesBy returns the statuses accountID wrote and has not deleted,
// oldest first. StatusesBy(s.Town().ID) shows what the town posted.
func (s *Server) StatusesBy(accountID string) []Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Status
	for _, st := range s.statuses {
		if st.Account.ID == accountID && !st.Deleted {
			out = append(out, s.snapshot(st))
		}
	}
	return out
}

// Len returns the number of statuses ever created.
func (s *Server) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.statuses)
}

func (s *Server) snapshot(st *Status) Status {
	c := *st
	c.Mentions = slices.Clone(st.Mentions)
	c.Media = slices.Clone(st.Media)
	return c
}

// Notification is a notification as the fake holds it.
type Notification struct {
	ID       string
	Type     string
	StatusID string
	Visible  bool // false once its status was deleted
}

// Notifications returns accountID's notifications, oldest first.
func (s *Server) Notifications(accountID string) []Notification {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Notification
	for _, n := range s.notifications[accountID] {
		o := Notification{ID: n.id, Type: n.typ, Visible: true}
		if n.status != nil {
			o.StatusID, o.Visible = n.status.ID, !n.status.Deleted
		}
		out = append(out, o)
	}
	return out
}

// CompareID orders two ids of this server (-1, 0, 1). Only tests may
// compare ids: a connector treats them as opaque.
func CompareID(a, b string) int { return compareID(a, b) }
