package email_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/anliegen/anliegen"
	"github.com/anliegen/anliegen/connectors/email"
	"github.com/anliegen/anliegen/connectors/email/emailtest"
)

// oauthRig is a channel on hosted mail: IMAP and SMTP servers that accept
// only XOAUTH2, and a token file as a refresher would keep it.
type oauthRig struct {
	imap      *emailtest.OAuthIMAP
	smtp      *emailtest.SMTPSink
	tokenFile string
	ch        anliegen.Channel
}

func newOAuthRig(t *testing.T) *oauthRig {
	t.Helper()
	r := &oauthRig{imap: emailtest.StartOAuthIMAP(t), smtp: emailtest.StartSMTP(t)}
	r.smtp.Token = r.imap.Token // one token for both, as with Microsoft 365
	r.tokenFile = filepath.Join(t.TempDir(), "token")
	r.setToken(t, r.imap.Token+"\n")
	settings, _ := json.Marshal(email.Settings{IMAPAddr: r.imap.Addr, IMAPTLS: email.TLSNone, IMAPUsername: r.imap.User,
		SMTPAddr: r.smtp.Addr, SMTPTLS: email.TLSNone, SMTPUsername: r.smtp.User,
		FromAddress: "buergerservice@musterstadt.example", Auth: email.AuthXOAUTH2, OAuthTokenFile: r.tokenFile})
	r.ch = anliegen.Channel{ID: 9, Platform: anliegen.PlatformEmail, Settings: settings}
	return r
}

func (r *oauthRig) setToken(t *testing.T, tok string) {
	t.Helper()
	if err := os.WriteFile(r.tokenFile, []byte(tok), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestXOAUTH2PollAndReply(t *testing.T) {
	r := newOAuthRig(t)
	r.imap.Append(t, crlf("From: Erika <erika@example.org>\nMessage-ID: <oauth-1@example.org>\nSubject: Frage\n\nWann?\n"))
	if err := email.Test(context.Background(), r.ch.Settings, nil); err != nil {
		t.Fatalf("connection test: %v", err)
	}
	c, err := email.New(r.ch, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Poll(context.Background(), "")
	if err != nil || len(res.Items) != 1 || res.Items[0].ExternalID != "oauth-1@example.org" {
		t.Fatalf("poll: %+v %v", res.Items, err)
	}
	if _, err := c.Reply(context.Background(), outbound(61)); err != nil {
		t.Fatalf("reply: %v", err)
	}
	if n := len(r.smtp.Messages()); n != 1 {
		t.Fatalf("sink got %d messages", n)
	}

	// A refresher replaces the token: the next logins read the new one.
	r.imap.Token, r.smtp.Token = "ya29.refreshed", "ya29.refreshed"
	r.setToken(t, "ya29.refreshed")
	if _, err := c.Poll(context.Background(), res.Cursor); err != nil {
		t.Fatalf("poll with the refreshed token: %v", err)
	}
}

func TestXOAUTH2Failures(t *testing.T) {
	tests := []struct {
		name  string
		token string // written to the token file; "-" removes it
		kind  anliegen.PlatformErrorKind
	}{
		{"token refused", "ya29.expired", anliegen.ErrAuth},
		{"token file missing", "-", anliegen.ErrTemporary},
		{"token file empty", "\n", anliegen.ErrTemporary},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newOAuthRig(t)
			if tt.token == "-" {
				os.Remove(r.tokenFile)
			} else {
				r.setToken(t, tt.token)
			}
			c, err := email.New(r.ch, nil)
			if err != nil {
				t.Fatal(err)
			}
			_, perr := c.Poll(context.Background(), "")
			_, rerr := c.Reply(context.Background(), outbound(62))
			for what, err := range map[string]error{"poll": perr, "reply": rerr} {
				if got := anliegen.PlatformErrorKindOf(err); err == nil || got != tt.kind {
					t.Errorf("%s: %v (%s), want %s", what, err, got, tt.kind)
				}
			}
			if len(r.smtp.Messages()) != 0 {
				t.Error("a reply went out without a valid token")
			}
		})
	}
}
