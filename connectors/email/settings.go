package email

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net"
	"net/mail"
	"strings"
	"time"

	"github.com/anliegen/anliegen"
)

// TLS modes for the IMAP and SMTP connections.
const (
	TLSImplicit = "tls"      // TLS from the first byte (IMAP 993, SMTP 465)
	TLSStartTLS = "starttls" // plain connect, then STARTTLS (IMAP 143, SMTP 587)
	// TLSNone sends everything in clear text. Settings accept it only for a
	// loopback host: it exists for the test servers.
	TLSNone = "plain-for-tests"
)

// Authentication methods for IMAP and SMTP.
const (
	AuthPassword = "password" // IMAP LOGIN and SMTP AUTH PLAIN with the secret's passwords
	// AuthXOAUTH2 is SASL XOAUTH2 with an OAuth 2 access token read from
	// OAuthTokenFile, for hosted mail that turned passwords off.
	AuthXOAUTH2 = "xoauth2"
)

// Defaults applied by ParseSettings.
const (
	DefaultMailbox         = "INBOX"
	DefaultPollInterval    = 60 * time.Second
	DefaultBatchSize       = 200
	DefaultMaxMessageBytes = 10 << 20
	// defaultBackfill is how far back the first poll reaches when the channel
	// names no BackfillSince (Channel's documented default).
	defaultBackfill = 30 * 24 * time.Hour
)

// Settings is the non-secret configuration of an e-mail channel, stored as
// JSON in Channel.Settings.
type Settings struct {
	IMAPAddr     string `json:"imap_addr"` // host:port
	IMAPTLS      string `json:"imap_tls"`  // tls | starttls | plain-for-tests
	IMAPUsername string `json:"imap_username"`
	Mailbox      string `json:"mailbox,omitempty"` // default INBOX
	// SentMailbox, when set, receives a copy of every reply (APPEND) and is
	// searched before a retried reply is sent again.
	SentMailbox string `json:"sent_mailbox,omitempty"`
	// SentCopyByServer says the submission server files sent mail into
	// SentMailbox itself (Exchange does): then Reply only searches it and
	// appends no second copy.
	SentCopyByServer bool `json:"sent_copy_by_server,omitempty"`

	SMTPAddr     string `json:"smtp_addr"` // host:port
	SMTPTLS      string `json:"smtp_tls"`  // tls | starttls | plain-for-tests
	SMTPUsername string `json:"smtp_username,omitempty"`

	FromAddress string `json:"from_address"`
	FromName    string `json:"from_name,omitempty"`
	// Domain is the right-hand side of the Message-IDs of replies; default
	// the domain of FromAddress.
	Domain string `json:"domain,omitempty"`

	// Auth is how both servers are logged in to: password (default) or
	// xoauth2. With xoauth2 the secret needs no passwords.
	Auth string `json:"auth,omitempty"`
	// OAuthTokenFile is the absolute path of a file holding the access
	// token for xoauth2. It is read at every login, so that a token
	// refresher outside Anliegen can replace it; the token is never stored
	// in the database or logged.
	OAuthTokenFile string `json:"oauth_token_file,omitempty"`

	// TLSCAPEM holds extra trusted root certificates (PEM) for servers with
	// a town-internal CA; the system roots are always trusted.
	TLSCAPEM string `json:"tls_ca_pem,omitempty"`

	// MaxMessageBytes caps how much of one message is fetched. Attachment
	// bodies are not kept (the store keeps metadata only), so this bounds
	// memory per message. Of a larger message the text, which comes first
	// in practice, survives; the attachment the cap cuts is listed with
	// unknown size, later ones are missing. Default 10 MiB.
	MaxMessageBytes int64 `json:"max_message_bytes,omitempty"`
	// BatchSize is how many messages one poll fetches at most; default 200.
	BatchSize int `json:"batch_size,omitempty"`

	roots *x509.CertPool // system roots plus TLSCAPEM, set by ParseSettings
}

// Secret is the secret part of an e-mail channel, stored as JSON in
// Channel.Secret. An empty SMTPPassword means the IMAP password is used.
type Secret struct {
	IMAPPassword string `json:"imap_password"`
	SMTPPassword string `json:"smtp_password,omitempty"`
}

// ParseSettings decodes and validates settings and secret and fills in
// defaults. It returns an EInvalid *anliegen.Error naming the bad field.
func ParseSettings(settings json.RawMessage, secret []byte) (Settings, Secret, error) {
	var s Settings
	var sec Secret
	if err := decodeStrict(settings, &s); err != nil {
		return s, sec, anliegen.Invalid("settings", "cannot read e-mail settings: %v", err)
	}
	if len(secret) > 0 {
		if err := json.Unmarshal(secret, &sec); err != nil {
			// The cause may quote the secret: leave it out.
			return s, sec, anliegen.Invalid("secret", "must be a JSON object with imap_password")
		}
	}
	if sec.SMTPPassword == "" {
		sec.SMTPPassword = sec.IMAPPassword
	}
	s.applyDefaults()
	if err := s.Validate(); err != nil {
		return s, sec, err
	}
	if s.TLSCAPEM != "" {
		roots, err := x509.SystemCertPool()
		if err != nil {
			roots = x509.NewCertPool()
		}
		if !roots.AppendCertsFromPEM([]byte(s.TLSCAPEM)) {
			return s, sec, anliegen.Invalid("tls_ca_pem", "holds no PEM certificate")
		}
		s.roots = roots
	}
	return s, sec, nil
}

// tlsConfig is the client TLS configuration for host.
func (s *Settings) tlsConfig(host string) *tls.Config {
	return &tls.Config{ServerName: host, RootCAs: s.roots, MinVersion: tls.VersionTLS12}
}

func decodeStrict(raw json.RawMessage, v any) error {
	if len(raw) == 0 {
		return fmt.Errorf("empty")
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

func (s *Settings) applyDefaults() {
	if s.Mailbox == "" {
		s.Mailbox = DefaultMailbox
	}
	if s.IMAPTLS == "" {
		s.IMAPTLS = TLSImplicit
	}
	if s.SMTPTLS == "" {
		s.SMTPTLS = TLSStartTLS
	}
	if s.SMTPUsername == "" {
		s.SMTPUsername = s.IMAPUsername
	}
	if s.Domain == "" {
		if _, d, ok := strings.Cut(s.FromAddress, "@"); ok {
			s.Domain = strings.ToLower(d)
		}
	}
	if s.Auth == "" {
		s.Auth = AuthPassword
	}
	if s.MaxMessageBytes <= 0 {
		s.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if s.BatchSize <= 0 {
		s.BatchSize = DefaultBatchSize
	}
}

// Validate reports the first invalid field of s (after defaults).
func (s *Settings) Validate() error {
	if err := validAddr("imap_addr", s.IMAPAddr, s.IMAPTLS, "imap_tls"); err != nil {
		return err
	}
	if err := validAddr("smtp_addr", s.SMTPAddr, s.SMTPTLS, "smtp_tls"); err != nil {
		return err
	}
	switch {
	case s.IMAPUsername == "":
		return anliegen.Invalid("imap_username", "must not be empty")
	case strings.ContainsAny(s.Mailbox, "\r\n"):
		return anliegen.Invalid("mailbox", "must be one line")
	case strings.ContainsAny(s.SentMailbox, "\r\n"):
		return anliegen.Invalid("sent_mailbox", "must be one line")
	case s.SentCopyByServer && s.SentMailbox == "":
		// The read-back before a retry needs to know where the server files.
		return anliegen.Invalid("sent_copy_by_server", "needs sent_mailbox")
	case s.SentMailbox != "" && s.SentMailbox == s.Mailbox:
		// Replies would be polled back in as citizen mail.
		return anliegen.Invalid("sent_mailbox", "must differ from mailbox")
	case strings.ContainsAny(s.FromName, "\r\n"):
		return anliegen.Invalid("from_name", "must be one line")
	}
	if a, err := mail.ParseAddress(s.FromAddress); err != nil || a.Address != s.FromAddress {
		return anliegen.Invalid("from_address", "must be a plain address such as buergerservice@stadt.example")
	}
	if s.Domain == "" || strings.ContainsAny(s.Domain, "<>@ \r\n") {
		return anliegen.Invalid("domain", "must be a domain name such as stadt.example")
	}
	return s.validAuth()
}

func validAddr(field, addr, mode, modeField string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || host == "" || port == "" {
		return anliegen.Invalid(field, "must be host:port")
	}
	switch mode {
	case TLSImplicit, TLSStartTLS:
		return nil
	case TLSNone:
		if !isLoopback(host) {
			return anliegen.Invalid(modeField, "%s is only allowed for a loopback host", TLSNone)
		}
		return nil
	}
	return anliegen.Invalid(modeField, "must be %q, %q or %q", TLSImplicit, TLSStartTLS, TLSNone)
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
