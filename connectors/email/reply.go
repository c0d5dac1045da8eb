package email

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strings"
	"time"

	"github.com/anliegen/anliegen"
	"github.com/emersion/go-imap/v2"
	gomail "github.com/emersion/go-message/mail"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Reply sends m as a mail to the citizen and returns its Message-ID (without
// brackets), which is derived from m.ID and therefore stable across
// attempts.
//
// Exactly once: SMTP has no idempotency key, so when m.Attempts > 0 and a
// Sent mailbox is configured, Reply first searches Sent for that
// Message-ID and returns it without sending when found (a crash between
// "accepted" and "recorded"). After sending it appends a copy to Sent.
//
// Reply never decides on its own to answer auto-generated mail: the sender
// only sends what staff wrote. Errors are *anliegen.PlatformError: SMTP
// 421 and 450-452 (and other 4xx, timeouts) are ErrTemporary, 550, 552,
// 554 (and other 5xx) ErrPermanent, a refused login ErrAuth.
func (c *Connector) Reply(ctx context.Context, m anliegen.OutboundMessage) (string, error) {
	to := recipientAddress(m.Recipient)
	if to == "" {
		return "", &anliegen.PlatformError{Kind: anliegen.ErrPermanent, Err: errors.New("reply: recipient has no mail address")}
	}
	id := outboundMessageID(&m, c.settings.Domain)
	if m.Attempts > 0 && c.settings.SentMailbox != "" {
		found, err := c.inSent(ctx, id)
		if err != nil {
			// Unknown: sending could double the mail, so try again later.
			return "", err
		}
		if found {
			c.logger.Info("reply found in sent mailbox, not sending again", "message_id", m.ID)
			return id, nil
		}
	}
	raw, err := composeReply(&m, c.settings, to, id, c.now())
	if err != nil {
		return "", &anliegen.PlatformError{Kind: anliegen.ErrPermanent, Err: fmt.Errorf("compose reply: %w", err)}
	}
	if err := sendSMTP(ctx, c.settings, c.secret.SMTPPassword, to, raw); err != nil {
		return "", err
	}
	if c.settings.SentMailbox != "" && !c.settings.SentCopyByServer {
		// The mail has left: failing here must not make the sender retry.
		if err := c.appendSent(ctx, raw); err != nil {
			c.logger.Warn("copy reply to sent mailbox failed", "message_id", m.ID, "error", err)
		}
	}
	return id, nil
}

// outboundMessageID is the Message-ID of a reply, without brackets.
func outboundMessageID(m *anliegen.OutboundMessage, domain string) string {
	return m.IdempotencyKey() + "@" + domain
}

func recipientAddress(a anliegen.Author) string {
	for _, v := range []string{a.Handle, a.ExternalID} {
		if addr, err := gomail.ParseAddress(v); err == nil && !strings.ContainsAny(addr.Address, "\r\n") {
			return addr.Address
		}
	}
	return ""
}

var replyPrefix = regexp.MustCompile(`(?i)^\s*((re|aw|antw|sv|vs)(\[\d+\])?\s*:\s*)+`)

// replySubject prefixes "Re: " once, whatever prefixes ("AW:", "Re[2]:")
// other clients stacked up.
func replySubject(s string) string {
	s = strings.TrimSpace(replyPrefix.ReplaceAllString(s, ""))
	if s == "" {
		s = "Ihre Anfrage"
	}
	return "Re: " + s
}

// composeReply renders the reply: text/plain UTF-8, quoted-printable,
// encoded-word headers, threading headers so the citizen's client and our
// store put it into the conversation.
func composeReply(m *anliegen.OutboundMessage, s Settings, to, id string, now time.Time) ([]byte, error) {
	var h gomail.Header
	h.SetDate(now)
	h.SetAddressList("From", []*gomail.Address{{Name: s.FromName, Address: s.FromAddress}})
	h.SetAddressList("To", []*gomail.Address{{Name: m.Recipient.Name, Address: to}})
	h.SetSubject(replySubject(m.Subject))
	h.SetMessageID(id)
	if parent := cleanID(m.InReplyTo); parent != "" {
		h.SetMsgIDList("In-Reply-To", []string{parent})
	}
	if refs := replyReferences(m); len(refs) > 0 {
		h.SetMsgIDList("References", refs)
	}
	// A human wrote this (RFC 3834): auto-responders may answer it.
	h.Set("Auto-Submitted", "no")
	h.Set("MIME-Version", "1.0")
	h.SetContentType("text/plain", map[string]string{"charset": "utf-8"})
	h.Set("Content-Transfer-Encoding", "quoted-printable")
	var buf bytes.Buffer
	w, err := gomail.CreateSingleInlineWriter(&buf, h)
	if err != nil {
		return nil, err
	}
	text := strings.ReplaceAll(strings.ReplaceAll(m.Text, "\r\n", "\n"), "\n", "\r\n")
	if _, err := w.Write([]byte(text)); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// replyReferences is the parent's References followed by the parent, as
// RFC 5322 section 3.6.4 asks, without duplicates or broken ids.
func replyReferences(m *anliegen.OutboundMessage) []string {
	var refs []string
	seen := map[string]bool{}
	for _, r := range append(append([]string{}, m.References...), m.InReplyTo) {
		r = cleanID(r)
		if r != "" && !seen[r] && !strings.ContainsAny(r, " \t\r\n") {
			seen[r] = true
			refs = append(refs, r)
		}
	}
	return refs
}

// sendSMTP submits raw to one recipient.
func sendSMTP(ctx context.Context, s Settings, password, to string, raw []byte) error {
	c, err := dialSMTP(ctx, s)
	if err != nil {
		return err
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	if err := authSMTP(c, s, password); err != nil {
		return smtpError(ctx, "smtp auth", err)
	}
	if err := c.Mail(s.FromAddress, nil); err != nil {
		return smtpError(ctx, "smtp mail from", err)
	}
	if err := c.Rcpt(to, nil); err != nil {
		return smtpError(ctx, "smtp rcpt to", err)
	}
	wc, err := c.Data()
	if err != nil {
		return smtpError(ctx, "smtp data", err)
	}
	if _, err := wc.Write(raw); err != nil {
		wc.Close()
		return smtpError(ctx, "smtp data", err)
	}
	if err := wc.Close(); err != nil {
		return smtpError(ctx, "smtp data", err)
	}
	c.Quit() // the mail is accepted; a failing QUIT changes nothing
	return nil
}

func dialSMTP(ctx context.Context, s Settings) (*smtp.Client, error) {
	host, _, _ := net.SplitHostPort(s.SMTPAddr)
	d := net.Dialer{Timeout: dialTimeout}
	conn, err := d.DialContext(ctx, "tcp", s.SMTPAddr)
	if err != nil {
		return nil, temporary(fmt.Errorf("smtp connect: %w", err))
	}
	conn.SetDeadline(time.Now().Add(5 * time.Minute))
	tlsConf := s.tlsConfig(host)
	var c *smtp.Client
	switch s.SMTPTLS {
	case TLSImplicit:
		tc := tls.Client(conn, tlsConf)
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return nil, temporary(fmt.Errorf("smtp tls: %w", err))
		}
		c = smtp.NewClient(tc)
	case TLSStartTLS:
		c, err = smtp.NewClientStartTLS(conn, tlsConf)
		if err != nil {
			conn.Close()
			return nil, smtpError(ctx, "smtp starttls", err)
		}
	default:
		c = smtp.NewClient(conn)
	}
	if s.SMTPTLS != TLSStartTLS {
		// With STARTTLS the library has greeted as "localhost" already;
		// submission servers do not care about the name after AUTH.
		if err := c.Hello(s.Domain); err != nil {
			c.Close()
			return nil, smtpError(ctx, "smtp hello", err)
		}
	}
	return c, nil
}

// authSMTP logs in with AUTH PLAIN, or AUTH XOAUTH2 with the token from
// the token file. Settings allow a clear-text connection only to a
// loopback host, so a credential never crosses a network unencrypted.
func authSMTP(c *smtp.Client, s Settings, password string) error {
	var client sasl.Client
	switch {
	case s.Auth == AuthXOAUTH2:
		tok, err := readToken(s)
		if err != nil {
			return err
		}
		client = &xoauth2{user: s.SMTPUsername, token: tok}
	case s.SMTPUsername == "" || password == "":
		return nil
	default:
		client = sasl.NewPlainClient("", s.SMTPUsername, password)
	}
	if _, isTLS := c.TLSConnectionState(); !isTLS && s.SMTPTLS != TLSNone {
		return errors.New("refusing to send a credential without TLS")
	}
	return c.Auth(client)
}

// smtpError classifies an SMTP failure by its reply code.
func smtpError(ctx context.Context, what string, err error) error {
	wrapped := fmt.Errorf("%s: %w", what, err)
	if ctx.Err() != nil {
		return temporary(wrapped)
	}
	var se *smtp.SMTPError
	if !errors.As(err, &se) {
		return temporary(wrapped) // network: delivery state unknown, retry reads back
	}
	pe := &anliegen.PlatformError{Status: se.Code, Err: wrapped}
	switch {
	case se.Code == 530 || se.Code == 534 || se.Code == 535:
		pe.Kind = anliegen.ErrAuth
	case se.Code >= 400 && se.Code < 500:
		pe.Kind = anliegen.ErrTemporary
	default:
		pe.Kind = anliegen.ErrPermanent
	}
	return pe
}

// inSent reports whether the Sent mailbox holds a mail with Message-ID id.
func (c *Connector) inSent(ctx context.Context, id string) (bool, error) {
	sess, err := dialIMAP(ctx, c.settings, c.secret.IMAPPassword)
	if err != nil {
		return false, err
	}
	defer sess.logout()
	if _, err := sess.c.Select(c.settings.SentMailbox, &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		if mailboxMissing(err) {
			return false, nil // no Sent mailbox yet: nothing was appended
		}
		return false, imapError(ctx, "imap select sent", err)
	}
	crit := &imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "Message-ID", Value: "<" + id + ">"}}}
	data, err := sess.c.UIDSearch(crit, nil).Wait()
	if err != nil {
		return false, imapError(ctx, "imap search sent", err)
	}
	return len(data.AllUIDs()) > 0, nil
}

// appendSent stores raw in the Sent mailbox, creating it if needed.
func (c *Connector) appendSent(ctx context.Context, raw []byte) error {
	sess, err := dialIMAP(ctx, c.settings, c.secret.IMAPPassword)
	if err != nil {
		return err
	}
	defer sess.logout()
	err = appendRaw(sess, c.settings.SentMailbox, raw)
	var ie *imap.Error
	if errors.As(err, &ie) && ie.Code == imap.ResponseCodeTryCreate {
		if err := sess.c.Create(c.settings.SentMailbox, nil).Wait(); err != nil {
			return imapError(ctx, "imap create sent", err)
		}
		err = appendRaw(sess, c.settings.SentMailbox, raw)
	}
	if err != nil {
		return imapError(ctx, "imap append", err)
	}
	return nil
}

func appendRaw(sess *imapSession, mailbox string, raw []byte) error {
	cmd := sess.c.Append(mailbox, int64(len(raw)), &imap.AppendOptions{Flags: []imap.Flag{imap.FlagSeen}})
	if _, err := cmd.Write(raw); err != nil {
		cmd.Close()
		return err
	}
	if err := cmd.Close(); err != nil {
		return err
	}
	_, err := cmd.Wait()
	return err
}
