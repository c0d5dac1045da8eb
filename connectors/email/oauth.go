package email

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/anliegen/anliegen"
)

// xoauth2 is the SASL XOAUTH2 client that hosted mail (Microsoft 365,
// Google Workspace) asks for in place of passwords. go-sasl has only the
// standard OAUTHBEARER, which those services do not all offer.
type xoauth2 struct{ user, token string }

func (a *xoauth2) Start() (string, []byte, error) {
	return "XOAUTH2", []byte("user=" + a.user + "\x01auth=Bearer " + a.token + "\x01\x01"), nil
}

// Next answers the one challenge XOAUTH2 knows: a JSON error description
// after a refused token, which the client acknowledges with an empty
// response so that the server ends the exchange with its failure reply.
func (a *xoauth2) Next([]byte) ([]byte, error) { return []byte{}, nil }

// readToken reads the access token for XOAUTH2 from the settings' token
// file at every login, so that a refresher outside Anliegen can replace
// it before it expires. A missing or empty file is temporary: the
// refresher may not have written it yet.
func readToken(s Settings) (string, error) {
	b, err := os.ReadFile(s.OAuthTokenFile)
	if err != nil {
		return "", temporary(fmt.Errorf("read oauth token file: %w", err))
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" || strings.ContainsAny(tok, "\x01\r\n") {
		// The cause never quotes the token.
		return "", temporary(errors.New("oauth token file holds no token"))
	}
	return tok, nil
}

// validAuth checks the authentication settings (after defaults).
func (s *Settings) validAuth() error {
	switch s.Auth {
	case AuthPassword:
		if s.OAuthTokenFile != "" {
			return anliegen.Invalid("oauth_token_file", "is only used with auth %q", AuthXOAUTH2)
		}
		return nil
	case AuthXOAUTH2:
		if s.OAuthTokenFile == "" || !strings.HasPrefix(s.OAuthTokenFile, "/") {
			return anliegen.Invalid("oauth_token_file", "must be an absolute path with auth %q", AuthXOAUTH2)
		}
		return nil
	}
	return anliegen.Invalid("auth", "must be %q or %q", AuthPassword, AuthXOAUTH2)
}
