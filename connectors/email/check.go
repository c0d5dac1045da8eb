package email

import (
	"context"
	"encoding/json"

	"github.com/emersion/go-imap/v2"
)

// Test checks settings and secret the way the admin UI needs before it
// saves a channel: IMAP login and SELECT of the mailbox, then SMTP connect
// and AUTH. It sends nothing and changes nothing. It returns an EInvalid
// *anliegen.Error for bad settings and an *anliegen.PlatformError (ErrAuth
// for refused credentials) for what the servers said.
func Test(ctx context.Context, settings json.RawMessage, secret []byte) error {
	s, sec, err := ParseSettings(settings, secret)
	if err != nil {
		return err
	}
	sess, err := dialIMAP(ctx, s, sec.IMAPPassword)
	if err != nil {
		return err
	}
	_, err = sess.c.Select(s.Mailbox, &imap.SelectOptions{ReadOnly: true}).Wait()
	sess.logout()
	if err != nil {
		return selectError(ctx, err)
	}
	c, err := dialSMTP(ctx, s)
	if err != nil {
		return err
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	if err := authSMTP(c, s, sec.SMTPPassword); err != nil {
		return smtpError(ctx, "smtp auth", err)
	}
	c.Quit()
	return nil
}
