package email

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/anliegen/anliegen"
	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// dialTimeout bounds connect and TLS handshake; the context bounds the rest.
const dialTimeout = 30 * time.Second

// imapSession is one logged-in IMAP connection. The context that opened it
// closes it when done, because imapclient itself knows no contexts.
type imapSession struct {
	c    *imapclient.Client
	stop func() bool
}

// dialIMAP connects, upgrades to TLS as configured and logs in. Failures
// come back as *anliegen.PlatformError: ErrAuth for a refused login,
// ErrTemporary for network trouble.
func dialIMAP(ctx context.Context, s Settings, password string) (*imapSession, error) {
	return dialIMAPWith(ctx, s, password, nil)
}

// dialIMAPWith is dialIMAP with a handler for unsolicited server data.
func dialIMAPWith(ctx context.Context, s Settings, password string, h *imapclient.UnilateralDataHandler) (*imapSession, error) {
	host, _, _ := net.SplitHostPort(s.IMAPAddr)
	d := net.Dialer{Timeout: dialTimeout}
	conn, err := d.DialContext(ctx, "tcp", s.IMAPAddr)
	if err != nil {
		return nil, temporary(fmt.Errorf("imap connect: %w", err))
	}
	opts := &imapclient.Options{TLSConfig: s.tlsConfig(host), UnilateralDataHandler: h}
	var c *imapclient.Client
	switch s.IMAPTLS {
	case TLSImplicit:
		tc := tls.Client(conn, opts.TLSConfig)
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return nil, temporary(fmt.Errorf("imap tls: %w", err))
		}
		c = imapclient.New(tc, opts)
	case TLSStartTLS:
		conn.SetDeadline(time.Now().Add(dialTimeout))
		c, err = imapclient.NewStartTLS(conn, opts)
		if err != nil {
			conn.Close()
			return nil, temporary(fmt.Errorf("imap starttls: %w", err))
		}
		conn.SetDeadline(time.Time{})
	default:
		c = imapclient.New(conn, opts)
	}
	sess := &imapSession{c: c, stop: context.AfterFunc(ctx, func() { c.Close() })}
	if err := c.WaitGreeting(); err != nil {
		sess.close()
		return nil, imapError(ctx, "imap greeting", err)
	}
	if err := imapLogin(c, s, password); err != nil {
		sess.close()
		var pe *anliegen.PlatformError
		if errors.As(err, &pe) {
			return nil, err
		}
		var ie *imap.Error
		if errors.As(err, &ie) && ie.Type == imap.StatusResponseTypeNo && ie.Code != imap.ResponseCodeUnavailable {
			return nil, &anliegen.PlatformError{Kind: anliegen.ErrAuth, Err: fmt.Errorf("imap login: %w", err)}
		}
		return nil, imapError(ctx, "imap login", err)
	}
	return sess, nil
}

// imapLogin logs in as the settings say: LOGIN with the password, or
// AUTHENTICATE XOAUTH2 with the token from the token file. Only a failure
// to read the token file is returned as a *anliegen.PlatformError.
func imapLogin(c *imapclient.Client, s Settings, password string) error {
	if s.Auth != AuthXOAUTH2 {
		return c.Login(s.IMAPUsername, password).Wait()
	}
	tok, err := readToken(s)
	if err != nil {
		return err
	}
	return c.Authenticate(&xoauth2{user: s.IMAPUsername, token: tok})
}

// close logs out politely and drops the connection.
func (s *imapSession) close() {
	s.stop()
	s.c.Close()
}

func (s *imapSession) logout() {
	s.c.Logout().Wait()
	s.close()
}

// imapError classifies an IMAP failure: refused credentials are ErrAuth,
// everything else backs off as ErrTemporary.
func imapError(ctx context.Context, what string, err error) error {
	if ctx.Err() != nil {
		return temporary(fmt.Errorf("%s: %w", what, ctx.Err()))
	}
	var ie *imap.Error
	if errors.As(err, &ie) {
		switch {
		case ie.Code == imap.ResponseCodeAuthenticationFailed || ie.Code == imap.ResponseCodeAuthorizationFailed:
			return &anliegen.PlatformError{Kind: anliegen.ErrAuth, Err: fmt.Errorf("%s: %w", what, err)}
		}
	}
	return temporary(fmt.Errorf("%s: %w", what, err))
}

// selectError classifies a failed SELECT: a missing mailbox is permanent
// (an admin must fix the settings), anything else as imapError does.
func selectError(ctx context.Context, err error) error {
	if ctx.Err() == nil && mailboxMissing(err) {
		return &anliegen.PlatformError{Kind: anliegen.ErrPermanent, Err: fmt.Errorf("imap select: %w", err)}
	}
	return imapError(ctx, "imap select", err)
}

// mailboxMissing reports a NO that says the mailbox does not exist.
// Dovecot 2.3 answers SELECT of a missing mailbox with a bare NO; outages
// carry a code ([UNAVAILABLE], [SERVERBUG], [INUSE]), so a bare NO counts.
func mailboxMissing(err error) bool {
	var ie *imap.Error
	return errors.As(err, &ie) && ie.Type == imap.StatusResponseTypeNo &&
		(ie.Code == "" || ie.Code == imap.ResponseCodeNonExistent)
}

func temporary(err error) error {
	return &anliegen.PlatformError{Kind: anliegen.ErrTemporary, Err: err}
}

// fetched is one message of a UID FETCH.
type fetched struct {
	uid       imap.UID
	internal  time.Time
	raw       []byte
	truncated bool
}

// fetchUIDs runs UID FETCH set (UID INTERNALDATE BODY.PEEK[]<0.max>) and
// hands each message to fn as it streams in, so only one raw message is
// held at a time. PEEK leaves \Seen alone: staff may read the mailbox too.
func (s *imapSession) fetchUIDs(set imap.UIDSet, maxBytes int64, fn func(fetched)) error {
	section := &imap.FetchItemBodySection{Peek: true, Partial: &imap.SectionPartial{Offset: 0, Size: maxBytes}}
	cmd := s.c.Fetch(set, &imap.FetchOptions{
		UID:          true,
		InternalDate: true,
		RFC822Size:   true,
		BodySection:  []*imap.FetchItemBodySection{section},
	})
	defer cmd.Close()
	for {
		msg := cmd.Next()
		if msg == nil {
			break
		}
		var f fetched
		var size int64
		for {
			item := msg.Next()
			if item == nil {
				break
			}
			switch item := item.(type) {
			case imapclient.FetchItemDataUID:
				f.uid = item.UID
			case imapclient.FetchItemDataInternalDate:
				f.internal = item.Time
			case imapclient.FetchItemDataRFC822Size:
				size = item.Size
			case imapclient.FetchItemDataBodySection:
				if item.Literal != nil {
					b, err := io.ReadAll(item.Literal)
					if err != nil {
						return err
					}
					f.raw = b
				}
			}
		}
		f.truncated = size > maxBytes
		if f.uid != 0 {
			fn(f)
		}
	}
	return cmd.Close()
}
