package emailtest

import (
	"crypto/tls"
	"io"
	"net"
	"sync"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// SMTPSink is an in-process SMTP submission server that records every
// accepted message. It requires AUTH PLAIN with User and Password (allowed
// without TLS: it listens on loopback only) and can fail on demand.
type SMTPSink struct {
	Addr     string // offers STARTTLS when started with a Cert
	TLSAddr  string // implicit TLS; "" without a Cert
	User     string
	Password string
	// Token is the access token AUTH XOAUTH2 accepts for User.
	Token string

	mu       sync.Mutex
	messages []SentMessage
	faults   []*smtp.SMTPError
}

// SentMessage is one message the sink accepted.
type SentMessage struct {
	From string
	To   []string
	Data []byte
}

// StartSMTP starts a sink on 127.0.0.1 and closes it in t.Cleanup. With a
// cert it offers STARTTLS on Addr and implicit TLS on TLSAddr.
func StartSMTP(t testing.TB, cert ...*Cert) *SMTPSink {
	t.Helper()
	s := &SMTPSink{User: "buergerservice", Password: "geheim-123", Token: "ya29.smtp-token-0815"}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &sinkSession{sink: s}, nil
	}))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.MaxMessageBytes = 10 << 20
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("smtp listen: %v", err)
	}
	s.Addr = l.Addr().String()
	if len(cert) > 0 && cert[0] != nil {
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert[0].TLS}}
		tl, err := tls.Listen("tcp", "127.0.0.1:0", srv.TLSConfig)
		if err != nil {
			t.Fatalf("smtp tls listen: %v", err)
		}
		s.TLSAddr = tl.Addr().String()
		go srv.Serve(tl)
	}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return s
}

// FailNext makes the next DATA fail with code (e.g. 451 or 550), once per
// call; faults queue up in order.
func (s *SMTPSink) FailNext(code int, message string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &smtp.SMTPError{Code: code, EnhancedCode: smtp.NoEnhancedCode, Message: message})
}

// Messages returns a copy of the accepted messages, oldest first.
func (s *SMTPSink) Messages() []SentMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]SentMessage(nil), s.messages...)
}

func (s *SMTPSink) nextFault() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.faults) == 0 {
		return nil
	}
	f := s.faults[0]
	s.faults = s.faults[1:]
	return f
}

type sinkSession struct {
	sink   *SMTPSink
	authed bool
	msg    SentMessage
}

var errAuthRequired = &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}

func (s *sinkSession) AuthMechanisms() []string { return []string{sasl.Plain, XOAUTH2} }

func (s *sinkSession) Auth(mech string) (sasl.Server, error) {
	if mech == XOAUTH2 {
		return &xoauth2Server{check: func(user, token string) error {
			if user != s.sink.User || token != s.sink.Token {
				return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Username and Password not accepted"}
			}
			s.authed = true
			return nil
		}}, nil
	}
	return sasl.NewPlainServer(func(identity, user, pass string) error {
		if user != s.sink.User || pass != s.sink.Password {
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Authentication credentials invalid"}
		}
		s.authed = true
		return nil
	}), nil
}

func (s *sinkSession) Mail(from string, _ *smtp.MailOptions) error {
	if !s.authed {
		return errAuthRequired
	}
	s.msg = SentMessage{From: from}
	return nil
}

func (s *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.msg.To = append(s.msg.To, to)
	return nil
}

func (s *sinkSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if err := s.sink.nextFault(); err != nil {
		return err
	}
	s.msg.Data = b
	s.sink.mu.Lock()
	s.sink.messages = append(s.sink.messages, s.msg)
	s.sink.mu.Unlock()
	return nil
}

func (s *sinkSession) Reset()        { s.msg = SentMessage{} }
func (s *sinkSession) Logout() error { return nil }
