package storage

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// argonParams are the argon2id cost parameters. RFC 9106 recommends 64 MiB
// and t=3 for memory-constrained machines; we take t=1, p=2 because the
// design target is a 2-core server where one login must not stall the other
// requests for long: one hash takes about 60–90 ms there (see
// docs/BENCHMARKS.md, "Password hashing"). The parameters are stored in
// every hash, so raising them later leaves old hashes verifiable.
type argonParams struct {
	memory  uint32 // KiB
	time    uint32
	threads uint8
	keyLen  uint32
	saltLen int
}

var defaultArgon = argonParams{memory: 64 * 1024, time: 1, threads: 2, keyLen: 32, saltLen: 16}

// maxPasswordLen bounds the input to the hash, so that a megabyte password
// cannot be used to burn CPU; 1024 bytes is far beyond any passphrase.
const maxPasswordLen = 1024

// hashPassword returns password hashed with argon2id as a PHC-style string
// "$argon2id$v=19$m=65536,t=1,p=2$<salt>$<hash>" (unpadded standard base64).
func hashPassword(password string, p argonParams) (string, error) {
	salt := make([]byte, p.saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, p.time, p.memory, p.threads, p.keyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.memory, p.time, p.threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// errBadHash reports a stored hash that cannot be parsed; it never reaches a
// caller as anything but an internal error.
var errBadHash = errors.New("malformed password hash")

// verifyPassword reports whether password matches the encoded hash. The
// comparison is constant-time; the parameters come from the hash.
func verifyPassword(encoded, password string) (bool, error) {
	p, salt, key, err := decodeHash(encoded)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(password), salt, p.time, p.memory, p.threads, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

func decodeHash(encoded string) (argonParams, []byte, []byte, error) {
	var p argonParams
	parts := strings.Split(encoded, "$")
	// "", "argon2id", "v=19", "m=..,t=..,p=..", salt, hash
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, errBadHash
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return p, nil, nil, errBadHash
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.memory, &p.time, &p.threads); err != nil {
		return p, nil, nil, errBadHash
	}
	// Bounds keep a tampered row from asking for gigabytes of memory.
	if p.memory < 8 || p.memory > 1<<21 || p.time < 1 || p.time > 16 || p.threads < 1 {
		return p, nil, nil, errBadHash
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil || len(salt) < 8 {
		return p, nil, nil, errBadHash
	}
	key, err := b64.DecodeString(parts[5])
	if err != nil || len(key) < 16 || len(key) > 64 {
		return p, nil, nil, errBadHash
	}
	return p, salt, key, nil
}
