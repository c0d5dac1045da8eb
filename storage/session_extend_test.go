package storage

import (
	"context"
	"testing"
	"time"

	"github.com/anliegen/anliegen"
)

func TestExtendSession(t *testing.T) {
	db, clk := mustOpenStaff(t)
	ctx := context.Background()
	anna := mustUser(t, db, "anna", anliegen.RoleAgent)
	expiry := func(token string) time.Time {
		t.Helper()
		s, _, err := db.SessionUser(ctx, token)
		if err != nil {
			t.Fatalf("session: %v", err)
		}
		return s.ExpiresAt
	}
	s, err := db.CreateSession(ctx, anna.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	later := s.ExpiresAt.Add(3 * time.Hour)
	if err := db.ExtendSession(ctx, s.Token, later); err != nil {
		t.Fatal(err)
	}
	if got := expiry(s.Token); !got.Equal(later) {
		t.Fatalf("extended to %v, want %v", got, later)
	}
	// Never shortened.
	if err := db.ExtendSession(ctx, s.Token, s.ExpiresAt); err != nil {
		t.Fatal(err)
	}
	if got := expiry(s.Token); !got.Equal(later) {
		t.Fatalf("shortened to %v, want %v", got, later)
	}
	// Neither an expired nor a revoked session comes back.
	clk.Add(5 * time.Hour)
	if err := db.ExtendSession(ctx, s.Token, clk.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.SessionUser(ctx, s.Token); anliegen.ErrorCode(err) != anliegen.EUnauthorized {
		t.Fatalf("expired session after extension: %v", err)
	}
	s2, err := db.CreateSession(ctx, anna.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteSession(ctx, s2.Token); err != nil {
		t.Fatal(err)
	}
	if err := db.ExtendSession(ctx, s2.Token, clk.Now().Add(time.Hour*2)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.SessionUser(ctx, s2.Token); anliegen.ErrorCode(err) != anliegen.EUnauthorized {
		t.Fatalf("revoked session after extension: %v", err)
	}
	if err := db.ExtendSession(ctx, "unbekannt", clk.Now().Add(time.Hour)); err != nil {
		t.Fatalf("unknown token: %v", err)
	}
}
