package email_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/anliegen/anliegen"
	"github.com/anliegen/anliegen/connectors/email"
	"github.com/anliegen/anliegen/connectors/email/emailtest"
)

// Both TLS modes against Dovecot and the sink with a certificate from a
// "town-internal CA" given in tls_ca_pem.
func TestTLSModes(t *testing.T) {
	cert := emailtest.NewCert(t)
	imapSrv := emailtest.StartDovecot(t, cert)
	smtpSrv := emailtest.StartSMTP(t, cert)
	imapSrv.Append(t, "INBOX", citizenMail(1, ""))
	tests := []struct {
		mode, imapAddr, smtpAddr string
	}{
		{email.TLSStartTLS, imapSrv.Addr, smtpSrv.Addr},
		{email.TLSImplicit, imapSrv.TLSAddr, smtpSrv.TLSAddr},
	}
	for i, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			s := email.Settings{
				IMAPAddr: tt.imapAddr, IMAPTLS: tt.mode, IMAPUsername: imapSrv.User,
				SMTPAddr: tt.smtpAddr, SMTPTLS: tt.mode, SMTPUsername: smtpSrv.User,
				FromAddress: "buergerservice@musterstadt.example", TLSCAPEM: string(cert.CertPEM),
			}
			ch := channel(t, s, email.Secret{IMAPPassword: imapSrv.Password, SMTPPassword: smtpSrv.Password})
			if err := email.Test(context.Background(), ch.Settings, ch.Secret); err != nil {
				t.Fatalf("Test: %v", err)
			}
			c, err := email.New(ch, nil)
			if err != nil {
				t.Fatal(err)
			}
			res, err := c.Poll(context.Background(), "")
			if err != nil || len(res.Items) != 1 {
				t.Fatalf("Poll: %d items, %v", len(res.Items), err)
			}
			if _, err := c.Reply(context.Background(), outbound(int64(100+i))); err != nil {
				t.Fatalf("Reply: %v", err)
			}
			if n := len(smtpSrv.Messages()); n != i+1 {
				t.Fatalf("sink holds %d messages, want %d", n, i+1)
			}

			// Without the CA the certificate is not trusted: no login happens.
			s.TLSCAPEM = ""
			untrusted := channel(t, s, email.Secret{IMAPPassword: imapSrv.Password})
			if err := email.Test(context.Background(), untrusted.Settings, untrusted.Secret); anliegen.PlatformErrorKindOf(err) != anliegen.ErrTemporary || err == nil {
				t.Fatalf("Test with untrusted cert: %v, want a temporary TLS error", err)
			}
		})
	}
}

func channel(t *testing.T, s email.Settings, sec email.Secret) anliegen.Channel {
	t.Helper()
	settings, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	secret, _ := json.Marshal(sec)
	return anliegen.Channel{ID: 8, Platform: anliegen.PlatformEmail, Settings: settings, Secret: secret, CreatedAt: time.Now()}
}
