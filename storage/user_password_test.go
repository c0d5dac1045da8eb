package storage

import (
	"strings"
	"testing"
)

// testArgon keeps tests fast; the production cost is measured in
// BenchmarkHashPassword.
var testArgon = argonParams{memory: 64, time: 1, threads: 1, keyLen: 32, saltLen: 16}

func TestHashPassword(t *testing.T) {
	h1, err := hashPassword("Korrekt Pferd Batterie", testArgon)
	if err != nil {
		t.Fatal(err)
	}
	h2, err := hashPassword("Korrekt Pferd Batterie", testArgon)
	if err != nil {
		t.Fatal(err)
	}
	if h1 == h2 {
		t.Error("two hashes of one password are equal: salt not random")
	}
	if !strings.HasPrefix(h1, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Errorf("hash %q is not PHC argon2id", h1)
	}
	tests := []struct {
		name, password string
		want           bool
	}{
		{"right", "Korrekt Pferd Batterie", true},
		{"wrong", "korrekt Pferd Batterie", false},
		{"empty", "", false},
		{"prefix", "Korrekt Pferd", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := verifyPassword(h1, tt.password)
			if err != nil {
				t.Fatal(err)
			}
			if ok != tt.want {
				t.Errorf("verify(%q) = %v, want %v", tt.password, ok, tt.want)
			}
		})
	}
}

func TestVerifyPasswordMalformed(t *testing.T) {
	good, err := hashPassword("x", testArgon)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, "$")
	for _, bad := range []string{
		"",
		"plain",
		"$argon2i$v=19$m=64,t=1,p=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=18$m=64,t=1,p=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=99999999,t=1,p=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=64,t=1,p=0$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=64,t=1,p=1$!!$" + parts[5],
		"$argon2id$v=19$m=64,t=1,p=1$" + parts[4] + "$",
	} {
		if _, err := verifyPassword(bad, "x"); err == nil {
			t.Errorf("verify(%q) accepted a malformed hash", bad)
		}
	}
}

func FuzzVerifyPassword(f *testing.F) {
	good, err := hashPassword("x", testArgon)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good, "x")
	f.Add("$argon2id$v=19$m=64,t=1,p=1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAA", "")
	f.Fuzz(func(t *testing.T, encoded, password string) {
		if len(encoded) > 200 {
			return
		}
		if p, _, _, err := decodeHash(encoded); err == nil && (p.memory > 4096 || p.time > 2 || p.threads > 4) {
			return // valid but too costly to run thousands of times
		}
		// Property: a stored hash never makes verification panic, and only
		// a well-formed hash can match.
		ok, err := verifyPassword(encoded, password)
		if ok && err != nil {
			t.Fatalf("ok with error %v", err)
		}
		if ok {
			if _, _, _, derr := decodeHash(encoded); derr != nil {
				t.Fatalf("matched a hash that does not decode")
			}
		}
	})
}

func BenchmarkHashPassword(b *testing.B) {
	for b.Loop() {
		if _, err := hashPassword("Korrekt Pferd Batterie", defaultArgon); err != nil {
			b.Fatal(err)
		}
	}
}
