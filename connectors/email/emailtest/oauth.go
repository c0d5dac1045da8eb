package emailtest

import (
	"bytes"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/emersion/go-sasl"
)

// XOAUTH2 is the SASL mechanism name of hosted mail's OAuth login.
const XOAUTH2 = "XOAUTH2"

// errBadToken is what the test servers answer a wrong XOAUTH2 token with.
var errBadToken = errors.New("invalid token")

// xoauth2Server checks an XOAUTH2 initial response
// ("user=U\x01auth=Bearer T\x01\x01"). A wrong one gets the JSON
// challenge real servers send, and fails after the client's empty answer.
type xoauth2Server struct {
	check  func(user, token string) error
	failed error
}

func (s *xoauth2Server) Next(resp []byte) ([]byte, bool, error) {
	switch {
	case s.failed != nil:
		return nil, true, s.failed
	case resp == nil:
		return []byte{}, false, nil // ask for the initial response
	}
	user, token, ok := parseXOAUTH2(string(resp))
	if !ok {
		return nil, true, errors.New("malformed XOAUTH2 response")
	}
	if err := s.check(user, token); err != nil {
		s.failed = err
		return []byte(`{"status":"401","schemes":"bearer","scope":"https://mail.example/"}`), false, nil
	}
	return nil, true, nil
}

func parseXOAUTH2(s string) (user, token string, ok bool) {
	for _, f := range strings.Split(strings.TrimSuffix(s, "\x01\x01"), "\x01") {
		switch k, v, _ := strings.Cut(f, "="); k {
		case "user":
			user = v
		case "auth":
			token, ok = strings.CutPrefix(v, "Bearer ")
		}
	}
	return user, token, ok && user != ""
}

// OAuthIMAP is an in-memory IMAP server (go-imap's imapmemserver) that
// accepts only AUTHENTICATE XOAUTH2 with Token, never LOGIN: a poll that
// works proves the client used XOAUTH2.
type OAuthIMAP struct {
	Addr  string
	User  string
	Token string
	user  *imapmemserver.User
}

// StartOAuthIMAP starts the server on 127.0.0.1 with an empty INBOX and
// closes it in t.Cleanup.
func StartOAuthIMAP(t testing.TB) *OAuthIMAP {
	t.Helper()
	const password = "only-for-the-wrapper"
	s := &OAuthIMAP{User: "buergerservice@musterstadt.example", Token: "ya29.test-token-4711"}
	mem := imapmemserver.New()
	s.user = imapmemserver.NewUser(s.User, password)
	if err := s.user.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	mem.AddUser(s.user)
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return &oauthSession{Session: mem.NewSession(), srv: s, password: password}, nil, nil
		},
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIdle: {}, imap.CapSASLIR: {}},
		InsecureAuth: true,
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Addr = ln.Addr().String()
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return s
}

// Append stores raw in INBOX.
func (s *OAuthIMAP) Append(t testing.TB, raw []byte) {
	t.Helper()
	if _, err := s.user.Append("INBOX", bytes.NewReader(raw), &imap.AppendOptions{}); err != nil {
		t.Fatal(err)
	}
}

type oauthSession struct {
	imapserver.Session
	srv      *OAuthIMAP
	password string
}

func (s *oauthSession) Login(string, string) error { return imapserver.ErrAuthFailed }

func (s *oauthSession) AuthenticateMechanisms() []string { return []string{XOAUTH2} }

func (s *oauthSession) Authenticate(mech string) (sasl.Server, error) {
	if mech != XOAUTH2 {
		return nil, errors.New("SASL mechanism not supported")
	}
	return &xoauth2Server{check: func(user, token string) error {
		if user != s.srv.User || token != s.srv.Token {
			return imapserver.ErrAuthFailed
		}
		return s.Session.Login(user, s.password)
	}}, nil
}
