package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anliegen/anliegen"
	"github.com/anliegen/anliegen/connectors/email"
	"github.com/anliegen/anliegen/connectors/email/emailtest"
	"github.com/anliegen/anliegen/connectors/mastodon"
	"github.com/anliegen/anliegen/storage"
)

// writeFile writes content to a fresh file and returns its path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// storedChannels reads the channels the CLI wrote.
func storedChannels(t *testing.T, data string) []anliegen.Channel {
	t.Helper()
	db, err := storage.Open(context.Background(), data, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	chs, err := db.Channels(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return chs
}

// TestChannelAddEmailEverySetting sets every e-mail setting from the
// command line and finds it stored; the passwords come from a file and
// from stdin and show up in no output.
func TestChannelAddEmailEverySetting(t *testing.T) {
	data := t.TempDir()
	ca := emailtest.NewCert(t)
	caFile := writeFile(t, "ca.pem", string(ca.CertPEM))
	pwFile := writeFile(t, "pw", "imap-geheim-4711\n")
	code, out, errs := run(t, "smtp-geheim-0815\n", "--data", data, "channel", "add", "email",
		"--imap", "imap.musterstadt.example:143", "--imap-tls", "starttls", "--imap-user", "bs-imap",
		"--mailbox", "Posteingang/Bürger", "--sent-mailbox", "Gesendet", "--sent-copy-by-server",
		"--smtp", "smtp.musterstadt.example:465", "--smtp-tls", "tls", "--smtp-user", "bs-smtp",
		"--from", "buergerservice@musterstadt.example", "--from-name", "Bürgerservice Musterstadt",
		"--domain", "anliegen.musterstadt.example", "--tls-ca-file", caFile,
		"--max-message-bytes", "2097152", "--batch-size", "50",
		"--password-file", pwFile, "--smtp-password-file", "-",
		"--name", "Bürgerservice-Postfach", "--interval", "2m", "--no-test")
	if code != 0 {
		t.Fatalf("channel add email = %d: %s %s", code, out, errs)
	}
	code, list, lerrs := run(t, "", "--data", data, "channel", "list")
	if code != 0 {
		t.Fatalf("channel list = %d: %s", code, lerrs)
	}
	for _, s := range []string{out, errs, list, lerrs} {
		if strings.Contains(s, "geheim") {
			t.Errorf("output shows a password: %s", s)
		}
	}
	if !strings.Contains(list, "Bürgerservice-Postfach") {
		t.Errorf("list lacks the channel: %s", list)
	}

	chs := storedChannels(t, data)
	if len(chs) != 1 {
		t.Fatalf("%d channels stored, want 1", len(chs))
	}
	ch := chs[0]
	s, sec, err := email.ParseSettings(ch.Settings, ch.Secret)
	if err != nil {
		t.Fatalf("stored settings do not parse: %v", err)
	}
	want := email.Settings{
		IMAPAddr: "imap.musterstadt.example:143", IMAPTLS: email.TLSStartTLS, IMAPUsername: "bs-imap",
		Mailbox: "Posteingang/Bürger", SentMailbox: "Gesendet", SentCopyByServer: true,
		SMTPAddr: "smtp.musterstadt.example:465", SMTPTLS: email.TLSImplicit, SMTPUsername: "bs-smtp",
		FromAddress: "buergerservice@musterstadt.example", FromName: "Bürgerservice Musterstadt",
		Domain: "anliegen.musterstadt.example", Auth: email.AuthPassword, TLSCAPEM: string(ca.CertPEM), MaxMessageBytes: 2 << 20, BatchSize: 50,
	}
	// Compare as JSON: Settings carries an unexported parsed CA pool.
	gotJSON, _ := json.Marshal(s)
	wantJSON, _ := json.Marshal(want)
	if string(gotJSON) != string(wantJSON) {
		t.Errorf("stored settings\n got %s\nwant %s", gotJSON, wantJSON)
	}
	if sec.IMAPPassword != "imap-geheim-4711" || sec.SMTPPassword != "smtp-geheim-0815" {
		t.Errorf("stored secret = %+v", sec)
	}
	if strings.Contains(string(ch.Settings), "geheim") {
		t.Errorf("settings hold a password: %s", ch.Settings)
	}
	if ch.Platform != anliegen.PlatformEmail || ch.Account != want.FromAddress || ch.PollInterval.Minutes() != 2 || !ch.Enabled {
		t.Errorf("channel = %+v", ch)
	}
}

func TestChannelAddEmailRejects(t *testing.T) {
	pw := writeFile(t, "pw", "geheim\n")
	notPEM := writeFile(t, "ca.pem", "kein Zertifikat")
	base := []string{"--imap", "imap.musterstadt.example:993", "--imap-user", "bs", "--smtp", "smtp.musterstadt.example:587",
		"--from", "buergerservice@musterstadt.example", "--no-test"}
	tests := []struct {
		name  string
		extra []string
		msg   string
	}{
		{"no password", nil, "--password-file"},
		{"password file missing", []string{"--password-file", filepath.Join(t.TempDir(), "fehlt")}, "read secret"},
		{"server files into nowhere", []string{"--password-file", pw, "--sent-copy-by-server"}, "sent_mailbox"},
		{"bad domain", []string{"--password-file", pw, "--domain", "a@b"}, "domain"},
		{"ca without certificate", []string{"--password-file", pw, "--tls-ca-file", notPEM}, "tls_ca_pem"},
		{"ca file missing", []string{"--password-file", pw, "--tls-ca-file", filepath.Join(t.TempDir(), "fehlt")}, "tls-ca-file"},
		{"clear text to a real host", []string{"--password-file", pw, "--imap-tls", email.TLSNone}, "imap_tls"},
		{"stray argument", []string{"--password-file", pw, "extra"}, "unexpected"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := t.TempDir()
			args := append([]string{"--data", data, "channel", "add", "email"}, append(append([]string{}, base...), tt.extra...)...)
			code, out, errs := run(t, "", args...)
			if code == 0 || !strings.Contains(errs, tt.msg) {
				t.Errorf("= %d (%s%s), want failure naming %q", code, out, errs, tt.msg)
			}
			if strings.Contains(out+errs, "geheim") {
				t.Errorf("output shows the password: %s%s", out, errs)
			}
			if chs := storedChannels(t, data); len(chs) != 0 {
				t.Errorf("%d channels stored after a rejected add", len(chs))
			}
		})
	}
}

// TestChannelAddEmailConnectionTest runs the connection test against a
// real Dovecot and SMTP server that use a certificate of their own CA: it
// passes with --tls-ca-file and fails without, and a wrong password fails
// without being echoed.
func TestChannelAddEmailConnectionTest(t *testing.T) {
	cert := emailtest.NewCert(t)
	imapd := emailtest.StartDovecot(t, cert)
	smtpd := emailtest.StartSMTP(t, cert)
	caFile := writeFile(t, "ca.pem", string(cert.CertPEM))
	args := func(data string, extra ...string) []string {
		return append([]string{"--data", data, "channel", "add", "email",
			"--imap", imapd.Addr, "--imap-tls", "starttls", "--imap-user", imapd.User,
			"--smtp", smtpd.Addr, "--smtp-tls", "starttls", "--smtp-user", smtpd.User,
			"--from", "buergerservice@musterstadt.example",
			"--password-file", "-", "--smtp-password-file", "-"}, extra...)
	}
	tests := []struct {
		name   string
		stdin  string
		extra  []string
		ok     bool
		errMsg string
	}{
		{"trusted ca", imapd.Password + "\n" + smtpd.Password + "\n", []string{"--tls-ca-file", caFile}, true, ""},
		{"unknown ca", imapd.Password + "\n" + smtpd.Password + "\n", nil, false, "certificate"},
		{"wrong imap password", "falsch-geheim\n" + smtpd.Password + "\n", []string{"--tls-ca-file", caFile}, false, "connection test"},
		{"wrong smtp password", imapd.Password + "\nfalsch-geheim\n", []string{"--tls-ca-file", caFile}, false, "connection test"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := t.TempDir()
			code, out, errs := run(t, tt.stdin, args(data, tt.extra...)...)
			if (code == 0) != tt.ok || !strings.Contains(errs, tt.errMsg) {
				t.Fatalf("= %d (%s%s), want ok=%v with %q", code, out, errs, tt.ok, tt.errMsg)
			}
			if strings.Contains(out+errs, "geheim") || strings.Contains(out+errs, imapd.Password) {
				t.Errorf("output shows a password: %s%s", out, errs)
			}
			if n := len(storedChannels(t, data)); (n == 1) != tt.ok {
				t.Errorf("%d channels stored", n)
			}
		})
	}
}

// TestChannelAddEmailXOAUTH2 adds a channel on hosted mail: no password,
// a token file (stored as an absolute path, its content nowhere), and a
// connection test that logs in to IMAP and SMTP with XOAUTH2.
func TestChannelAddEmailXOAUTH2(t *testing.T) {
	imapd, smtpd := emailtest.StartOAuthIMAP(t), emailtest.StartSMTP(t)
	smtpd.Token = imapd.Token
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.WriteFile("token", []byte(imapd.Token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	data := t.TempDir()
	code, out, errs := run(t, "", "--data", data, "channel", "add", "email",
		"--imap", imapd.Addr, "--imap-tls", email.TLSNone, "--imap-user", imapd.User,
		"--smtp", smtpd.Addr, "--smtp-tls", email.TLSNone, "--smtp-user", smtpd.User,
		"--from", "buergerservice@musterstadt.example", "--auth", "xoauth2", "--oauth-token-file", "token")
	if code != 0 {
		t.Fatalf("= %d: %s%s", code, out, errs)
	}
	chs := storedChannels(t, data)
	if len(chs) != 1 {
		t.Fatalf("%d channels", len(chs))
	}
	s, _, err := email.ParseSettings(chs[0].Settings, chs[0].Secret)
	if err != nil || s.Auth != email.AuthXOAUTH2 || s.OAuthTokenFile != filepath.Join(dir, "token") {
		t.Errorf("settings %+v %v", s, err)
	}
	for _, b := range [][]byte{chs[0].Settings, chs[0].Secret, []byte(out + errs)} {
		if strings.Contains(string(b), imapd.Token) {
			t.Errorf("the token shows: %s", b)
		}
	}
}

// TestChannelAddMastodonEverySetting: every Mastodon setting from the
// command line, the token from stdin and nowhere in the output or the
// settings.
func TestChannelAddMastodonEverySetting(t *testing.T) {
	data := t.TempDir()
	code, out, errs := run(t, "geheim-token-123\n", "--data", data, "channel", "add", "mastodon",
		"--instance", "https://social.musterstadt.example", "--account", "@stadt@social.musterstadt.example",
		"--token-file", "-", "--max-chars", "1000", "--visibility", "unlisted", "--no-test")
	if code != 0 {
		t.Fatalf("= %d: %s%s", code, out, errs)
	}
	chs := storedChannels(t, data)
	if len(chs) != 1 {
		t.Fatalf("%d channels", len(chs))
	}
	s, err := mastodon.ParseSettings(chs[0].Settings)
	if err != nil || s.Instance != "https://social.musterstadt.example" || s.MaxChars != 1000 || s.Visibility != "unlisted" {
		t.Errorf("settings %+v %v", s, err)
	}
	if string(chs[0].Secret) != "geheim-token-123" || strings.Contains(string(chs[0].Settings)+out+errs, "geheim") {
		t.Errorf("secret %q, settings %s, output %s%s", chs[0].Secret, chs[0].Settings, out, errs)
	}
	if code, _, errs := run(t, "geheim\n", "--data", t.TempDir(), "channel", "add", "mastodon",
		"--instance", "https://social.musterstadt.example", "--token-file", "-", "--visibility", "private", "--no-test"); code == 0 || !strings.Contains(errs, "visibility") {
		t.Errorf("bad visibility accepted: %d %s", code, errs)
	}
}
