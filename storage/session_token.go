package storage

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
)

// tokenBytes is the entropy of session and CSRF tokens: 256 bits, so that
// guessing one is hopeless even at millions of tries per second.
const tokenBytes = 32

// newToken returns a random URL-safe token.
func newToken() (string, error) {
	b := make([]byte, tokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// hashToken is what the sessions table stores instead of the token: a
// stolen database or backup then holds no usable session. A fast hash is
// enough because the token is random, not chosen by a person.
func hashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}
