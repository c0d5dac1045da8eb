package storage

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anliegen/anliegen"
)

// testClock is an injected clock that tests move by hand.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// mustOpenStaff opens a store with cheap password hashing and a clock the
// test controls.
func mustOpenStaff(tb testing.TB) (*DB, *testClock) {
	tb.Helper()
	db := mustOpen(tb)
	db.argon = testArgon
	clk := &testClock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	db.now = clk.Now
	return db, clk
}

const testPassword = "Sperrmüll-Termin-2026"

func mustDepartment(tb testing.TB, db *DB, id string) {
	tb.Helper()
	if err := db.CreateDepartment(context.Background(), &anliegen.Department{ID: id, Name: strings.ToUpper(id)}); err != nil {
		tb.Fatalf("create department %s: %v", id, err)
	}
}

func mustUser(tb testing.TB, db *DB, login string, role anliegen.Role, depts ...string) anliegen.User {
	tb.Helper()
	u := anliegen.User{Login: login, Name: "Name " + login, Role: role, Departments: depts}
	if err := db.CreateUser(context.Background(), &u, testPassword); err != nil {
		tb.Fatalf("create user %s: %v", login, err)
	}
	return u
}

func wantCode(tb testing.TB, err error, code, field string) {
	tb.Helper()
	if got := anliegen.ErrorCode(err); got != code {
		tb.Fatalf("error %v: code %q, want %q", err, got, code)
	}
	if field != "" && anliegen.ErrorField(err) != field {
		tb.Fatalf("error %v: field %q, want %q", err, anliegen.ErrorField(err), field)
	}
}

func TestCreateUser(t *testing.T) {
	db, _ := mustOpenStaff(t)
	ctx := context.Background()
	mustDepartment(t, db, "abfall")
	mustUser(t, db, "anna", anliegen.RoleAgent)
	tests := []struct {
		name     string
		user     anliegen.User
		password string
		code     string
		field    string
	}{
		{"ok", anliegen.User{Login: "bernd.k", Name: "Bernd", Role: anliegen.RoleDepartment, Departments: []string{"abfall"}}, testPassword, "", ""},
		{"login taken other case", anliegen.User{Login: "ANNA", Name: "Anna 2", Role: anliegen.RoleAgent}, testPassword, anliegen.EConflict, "login"},
		{"bad login", anliegen.User{Login: "an na", Name: "x", Role: anliegen.RoleAgent}, testPassword, anliegen.EInvalid, "login"},
		{"no name", anliegen.User{Login: "carla", Role: anliegen.RoleAgent}, testPassword, anliegen.EInvalid, "name"},
		{"bad role", anliegen.User{Login: "carla", Name: "Carla", Role: "boss"}, testPassword, anliegen.EInvalid, "role"},
		{"department user without department", anliegen.User{Login: "carla", Name: "Carla", Role: anliegen.RoleDepartment}, testPassword, anliegen.EInvalid, "departments"},
		{"unknown department", anliegen.User{Login: "carla", Name: "Carla", Role: anliegen.RoleDepartment, Departments: []string{"kfz"}}, testPassword, anliegen.EInvalid, "departments"},
		{"bad lang", anliegen.User{Login: "carla", Name: "Carla", Role: anliegen.RoleAgent, Lang: "fr"}, testPassword, anliegen.EInvalid, "lang"},
		{"short password", anliegen.User{Login: "carla", Name: "Carla", Role: anliegen.RoleAgent}, "kurz", anliegen.EInvalid, "password"},
		{"huge password", anliegen.User{Login: "carla", Name: "Carla", Role: anliegen.RoleAgent}, strings.Repeat("x", 2000), anliegen.EInvalid, "password"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := tt.user
			err := db.CreateUser(ctx, &u, tt.password)
			if tt.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				got, err := db.User(ctx, u.ID)
				if err != nil {
					t.Fatal(err)
				}
				if got.Login != u.Login || got.Lang != "de" || !slicesEqual(got.Departments, u.Departments) || got.CreatedAt.IsZero() {
					t.Errorf("stored %+v, created %+v", got, u)
				}
				return
			}
			wantCode(t, err, tt.code, tt.field)
		})
	}
	n, err := db.CountUsers(ctx)
	if err != nil || n != 2 {
		t.Errorf("CountUsers = %d, %v; want 2 (failed creates must store nothing)", n, err)
	}
}

func slicesEqual(a, b []string) bool { return strings.Join(a, ",") == strings.Join(b, ",") }

func TestAuthenticate(t *testing.T) {
	db, _ := mustOpenStaff(t)
	ctx := context.Background()
	anna := mustUser(t, db, "anna", anliegen.RoleAgent)
	off := mustUser(t, db, "olaf", anliegen.RoleAgent)
	off.Disabled = true
	if err := db.UpdateUser(ctx, &off); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, login, password string
		wantID                int64
	}{
		{"right", "anna", testPassword, anna.ID},
		{"login in other case", "Anna", testPassword, anna.ID},
		{"wrong password", "anna", testPassword + "x", 0},
		{"empty password", "anna", "", 0},
		{"unknown login", "niemand", testPassword, 0},
		{"disabled user with right password", "olaf", testPassword, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := db.Authenticate(ctx, tt.login, tt.password)
			if tt.wantID == 0 {
				wantCode(t, err, anliegen.EUnauthorized, "")
				// One message for every refusal: it must not tell which.
				if anliegen.ErrorMessage(err) != "wrong login or password" {
					t.Errorf("message %q reveals the reason", anliegen.ErrorMessage(err))
				}
				return
			}
			if err != nil || u.ID != tt.wantID {
				t.Fatalf("Authenticate = %+v, %v; want user %d", u, err, tt.wantID)
			}
		})
	}
}

func TestSessions(t *testing.T) {
	db, clk := mustOpenStaff(t)
	ctx := context.Background()
	anna := mustUser(t, db, "anna", anliegen.RoleAgent)
	bernd := mustUser(t, db, "bernd", anliegen.RoleAgent)

	s1, err := db.CreateSession(ctx, anna.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	s2, err := db.CreateSession(ctx, anna.ID, 8*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if s1.Token == s2.Token || s1.CSRFToken == s2.CSRFToken || s1.CSRFToken == s1.Token || len(s1.Token) < 43 {
		t.Fatalf("tokens not distinct and random: %+v %+v", s1, s2)
	}
	var stored int
	if err := db.read().QueryRow(`SELECT count(*) FROM sessions WHERE token_hash = ? OR CAST(token_hash AS TEXT) = ?`,
		s1.Token, s1.Token).Scan(&stored); err != nil || stored != 0 {
		t.Errorf("the plain token is stored (%d, %v)", stored, err)
	}
	check := func(name, token string, wantUser int64) {
		t.Helper()
		s, u, err := db.SessionUser(ctx, token)
		if wantUser == 0 {
			if anliegen.ErrorCode(err) != anliegen.EUnauthorized {
				t.Errorf("%s: SessionUser = %v, want unauthorized", name, err)
			}
			return
		}
		if err != nil || u.ID != wantUser || s.UserID != wantUser || s.CSRFToken == "" {
			t.Errorf("%s: SessionUser = %+v, %+v, %v; want user %d", name, s, u, err, wantUser)
		}
	}
	check("fresh", s1.Token, anna.ID)
	check("unknown", "nicht-da", 0)
	check("empty", "", 0)

	clk.Add(time.Hour - time.Millisecond)
	check("just before expiry", s1.Token, anna.ID)
	clk.Add(time.Millisecond)
	check("at expiry", s1.Token, 0)
	check("longer session lives on", s2.Token, anna.ID)

	if err := db.DeleteSession(ctx, s2.Token); err != nil {
		t.Fatal(err)
	}
	check("after logout", s2.Token, 0)
	if err := db.DeleteSession(ctx, s2.Token); err != nil {
		t.Errorf("second logout: %v", err)
	}

	s3, err := db.CreateSession(ctx, anna.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	sb2, err := db.CreateSession(ctx, bernd.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SetPassword(ctx, anna.ID, "ein-ganz-neues-Passwort"); err != nil {
		t.Fatal(err)
	}
	check("after password change", s3.Token, 0)
	check("other user's session stays", sb2.Token, bernd.ID)
	if _, err := db.Authenticate(ctx, "anna", "ein-ganz-neues-Passwort"); err != nil {
		t.Errorf("new password: %v", err)
	}
	wantCode(t, tryAuth(db, "anna", testPassword), anliegen.EUnauthorized, "")

	bernd.Disabled = true
	if err := db.UpdateUser(ctx, &bernd); err != nil {
		t.Fatal(err)
	}
	check("disabled user", sb2.Token, 0)

	_, err = db.CreateSession(ctx, 999, time.Hour)
	wantCode(t, err, anliegen.ENotFound, "")
	_, err = db.CreateSession(ctx, anna.ID, 0)
	wantCode(t, err, anliegen.EInvalid, "ttl")
	wantCode(t, db.SetPassword(ctx, 999, "ein-ganz-neues-Passwort"), anliegen.ENotFound, "")
	wantCode(t, db.SetPassword(ctx, anna.ID, "kurz"), anliegen.EInvalid, "password")
}

func tryAuth(db *DB, login, password string) error {
	_, err := db.Authenticate(context.Background(), login, password)
	return err
}

func TestUsersListAndUpdate(t *testing.T) {
	db, _ := mustOpenStaff(t)
	ctx := context.Background()
	mustDepartment(t, db, "abfall")
	mustDepartment(t, db, "kfz")
	mustUser(t, db, "zora", anliegen.RoleAdmin)
	b := mustUser(t, db, "bernd", anliegen.RoleDepartment, "kfz", "abfall", "kfz")
	if !slicesEqual(b.Departments, []string{"abfall", "kfz"}) {
		t.Errorf("departments not normalized: %v", b.Departments)
	}
	users, err := db.Users(ctx)
	if err != nil || len(users) != 2 || users[0].Login != "bernd" || users[1].Login != "zora" {
		t.Fatalf("Users = %+v, %v", users, err)
	}
	b.Departments = []string{"kfz"}
	b.Name = "Bernd K."
	b.Lang = "en"
	if err := db.UpdateUser(ctx, &b); err != nil {
		t.Fatal(err)
	}
	got, err := db.UserByLogin(ctx, "BERND")
	if err != nil || got.Name != "Bernd K." || got.Lang != "en" || !slicesEqual(got.Departments, []string{"kfz"}) {
		t.Errorf("UserByLogin = %+v, %v", got, err)
	}
	b.Login = "zora"
	wantCode(t, db.UpdateUser(ctx, &b), anliegen.EConflict, "login")

	// The last enabled admin stays one; with a second admin the first may go.
	zora, _ := db.UserByLogin(ctx, "zora")
	for _, change := range []func(u *anliegen.User){
		func(u *anliegen.User) { u.Role = anliegen.RoleAgent },
		func(u *anliegen.User) { u.Disabled = true },
	} {
		z := zora
		change(&z)
		wantCode(t, db.UpdateUser(ctx, &z), anliegen.EConflict, "role")
	}
	if got, _ := db.User(ctx, zora.ID); got.Role != anliegen.RoleAdmin || got.Disabled {
		t.Errorf("refused change was stored: %+v", got)
	}
	mustUser(t, db, "yann", anliegen.RoleAdmin)
	zora.Disabled = true
	must(t, db.UpdateUser(ctx, &zora))
	missing := anliegen.User{ID: 999, Login: "x", Name: "x", Role: anliegen.RoleAgent}
	wantCode(t, db.UpdateUser(ctx, &missing), anliegen.ENotFound, "")
	_, err = db.User(ctx, 999)
	wantCode(t, err, anliegen.ENotFound, "")
	_, err = db.UserByLogin(ctx, "niemand")
	wantCode(t, err, anliegen.ENotFound, "")
}
