package email

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/anliegen/anliegen"
)

func TestParseSettings(t *testing.T) {
	base := `"imap_addr":"imap.musterstadt.example:993","imap_username":"bs","smtp_addr":"smtp.musterstadt.example:587","from_address":"buergerservice@musterstadt.example"`
	tests := []struct {
		name, settings, secret, field string
	}{
		{"minimal", base, `{"imap_password":"x"}`, ""},
		{"plain to loopback", strings.ReplaceAll(base, "imap.musterstadt.example", "127.0.0.1") + `,"imap_tls":"plain-for-tests"`, "", ""},
		{"plain to a real host", base + `,"imap_tls":"plain-for-tests"`, "", "imap_tls"},
		{"unknown tls mode", base + `,"smtp_tls":"ssl"`, "", "smtp_tls"},
		{"no port", strings.Replace(base, ":993", "", 1), "", "imap_addr"},
		{"no user", strings.Replace(base, `"bs"`, `""`, 1), "", "imap_username"},
		{"bad from", strings.Replace(base, "buergerservice@musterstadt.example", "Bürgerservice", 1), "", "from_address"},
		{"sent is inbox", base + `,"sent_mailbox":"INBOX"`, "", "sent_mailbox"},
		{"server files sent copy", base + `,"sent_mailbox":"Gesendet","sent_copy_by_server":true`, "", ""},
		{"server files into nowhere", base + `,"sent_copy_by_server":true`, "", "sent_copy_by_server"},
		{"xoauth2", base + `,"auth":"xoauth2","oauth_token_file":"/run/anliegen/token"`, "", ""},
		{"xoauth2 without token file", base + `,"auth":"xoauth2"`, "", "oauth_token_file"},
		{"xoauth2 relative token file", base + `,"auth":"xoauth2","oauth_token_file":"token"`, "", "oauth_token_file"},
		{"token file with passwords", base + `,"oauth_token_file":"/run/anliegen/token"`, "", "oauth_token_file"},
		{"unknown auth", base + `,"auth":"kerberos"`, "", "auth"},
		{"header injection", base + `,"from_name":"X\r\nBcc: a@b.example"`, "", "from_name"},
		{"bad ca", base + `,"tls_ca_pem":"kein Zertifikat"`, "", "tls_ca_pem"},
		{"unknown field", base + `,"imap_pasword":"x"`, "", "settings"},
		{"secret not json", base, `geheim`, "secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, sec, err := ParseSettings(json.RawMessage("{"+tt.settings+"}"), []byte(tt.secret))
			if got := anliegen.ErrorField(err); got != tt.field || (tt.field != "" && anliegen.ErrorCode(err) != anliegen.EInvalid) {
				t.Fatalf("err = %v (field %q), want field %q", err, got, tt.field)
			}
			if err != nil && strings.Contains(err.Error(), "geheim") {
				t.Errorf("error quotes the secret: %v", err)
			}
			if tt.name == "minimal" {
				if s.Mailbox != "INBOX" || s.IMAPTLS != TLSImplicit || s.SMTPTLS != TLSStartTLS || s.SMTPUsername != "bs" ||
					s.Domain != "musterstadt.example" || s.BatchSize != DefaultBatchSize || sec.SMTPPassword != "x" {
					t.Errorf("defaults not applied: %+v %+v", s, sec)
				}
			}
		})
	}
}

func TestCursorRoundTrip(t *testing.T) {
	c := cursor{validity: 1795618416, last: 42}
	got, ok, err := parseCursor(c.String())
	if err != nil || !ok || got != c {
		t.Fatalf("parseCursor(%q) = %+v %v %v", c.String(), got, ok, err)
	}
	for _, bad := range []string{"v2:1:2", "v1:x:2", "v1:1", "v1:1:99999999999"} {
		if _, _, err := parseCursor(bad); err == nil {
			t.Errorf("parseCursor(%q) accepted", bad)
		}
	}
}
