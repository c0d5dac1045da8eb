package server

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc/oidctest"

	"github.com/anliegen/anliegen"
)

// fakeIdP is an OpenID Connect provider: discovery, JWKS, an authorize
// endpoint that signs in whoever the test says at once, and a token
// endpoint that checks client secret and PKCE and returns a signed ID
// token.
type fakeIdP struct {
	t      *testing.T
	ts     *httptest.Server
	key    *rsa.PrivateKey // published in the JWKS
	mu     sync.Mutex
	claims map[string]any // of the next sign-in
	signer *rsa.PrivateKey
	nonce  string // replaces the client's nonce when set
	codes  map[string]idpGrant
}

type idpGrant struct {
	nonce, challenge, redirect string
	claims                     map[string]any
}

const (
	idpClient = "anliegen"
	idpSecret = "client-secret"
)

func newFakeIdP(t *testing.T) *fakeIdP {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	idp := &fakeIdP{t: t, key: key, signer: key, codes: map[string]idpGrant{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", idp.discovery)
	mux.HandleFunc("GET /keys", idp.keys)
	mux.HandleFunc("GET /authorize", idp.authorize)
	mux.HandleFunc("POST /token", idp.token)
	idp.ts = httptest.NewServer(mux)
	t.Cleanup(idp.ts.Close)
	return idp
}

func (idp *fakeIdP) discovery(w http.ResponseWriter, _ *http.Request) {
	u := idp.ts.URL
	_ = json.NewEncoder(w).Encode(map[string]any{
		"issuer": u, "authorization_endpoint": u + "/authorize", "token_endpoint": u + "/token", "jwks_uri": u + "/keys",
		"response_types_supported": []string{"code"}, "subject_types_supported": []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"}, "code_challenge_methods_supported": []string{"S256"},
	})
}

func (idp *fakeIdP) keys(w http.ResponseWriter, _ *http.Request) {
	pub := idp.key.PublicKey
	_ = json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{
		"kty": "RSA", "kid": "k1", "use": "sig", "alg": "RS256",
		"n": base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
	}}})
}

func (idp *fakeIdP) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("client_id") != idpClient || q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" ||
		q.Get("code_challenge") == "" || q.Get("nonce") == "" || !strings.Contains(q.Get("scope"), "openid") {
		http.Error(w, "bad authorization request", http.StatusBadRequest)
		return
	}
	idp.mu.Lock()
	code := randomToken()
	idp.codes[code] = idpGrant{nonce: q.Get("nonce"), challenge: q.Get("code_challenge"), redirect: q.Get("redirect_uri"), claims: idp.claims}
	idp.mu.Unlock()
	back, _ := url.Parse(q.Get("redirect_uri"))
	v := back.Query()
	v.Set("code", code)
	v.Set("state", q.Get("state"))
	back.RawQuery = v.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

func (idp *fakeIdP) token(w http.ResponseWriter, r *http.Request) {
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.FormValue("client_id"), r.FormValue("client_secret")
	}
	idp.mu.Lock()
	g, found := idp.codes[r.FormValue("code")]
	delete(idp.codes, r.FormValue("code")) // codes are single-use
	signer, nonce := idp.signer, idp.nonce
	idp.mu.Unlock()
	sum := sha256.Sum256([]byte(r.FormValue("code_verifier")))
	switch {
	case id != idpClient || secret != idpSecret:
		http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
		return
	case !found || r.FormValue("redirect_uri") != g.redirect || base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge:
		http.Error(w, `{"error":"invalid_grant"}`, http.StatusBadRequest)
		return
	}
	if nonce == "" {
		nonce = g.nonce
	}
	claims := map[string]any{"iss": idp.ts.URL, "aud": idpClient, "sub": "sub-1", "nonce": nonce,
		"iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix()}
	for k, v := range g.claims {
		claims[k] = v
	}
	raw, _ := json.Marshal(claims)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "at", "token_type": "Bearer", "expires_in": 3600,
		"id_token": oidctest.SignIDToken(signer, "k1", "RS256", string(raw))})
}

// signIn runs the browser's side of the flow: login, the provider, the
// callback. It returns the callback's response.
func (idp *fakeIdP) signIn(c *client) (*http.Response, []byte) {
	c.http.CheckRedirect = func(req *http.Request, _ []*http.Request) error {
		if req.URL.Path == "/" {
			return http.ErrUseLastResponse // the UI; the callback's answer is what counts
		}
		return nil
	}
	return c.do("GET", "/api/v1/oidc/login", nil)
}

func TestOIDCLogin(t *testing.T) {
	idp := newFakeIdP(t)
	newOIDCEnv := func(claim string) *env {
		return newEnv(t, func(c *Config, _ *Deps) {
			c.OIDC = &OIDCConfig{Issuer: idp.ts.URL, ClientID: idpClient, ClientSecret: idpSecret, Claim: claim, Name: "Stadt-Login"}
		})
	}
	e := newOIDCEnv("")
	anna := e.user("anna", anliegen.RoleAgent)
	gone := e.user("gone", anliegen.RoleAgent)
	gone.Disabled = true
	if err := e.db.UpdateUser(e.ctx, &gone); err != nil {
		t.Fatal(err)
	}
	var info oidcInfo
	e.anon().mustJSON("GET", "/api/v1/oidc", nil, 200, &info)
	if !info.Enabled || info.Name != "Stadt-Login" {
		t.Fatalf("oidc info %+v", info)
	}

	otherKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		claims map[string]any
		signer *rsa.PrivateKey
		nonce  string
		ok     bool
	}{
		{"existing user", map[string]any{"preferred_username": "anna"}, nil, "", true},
		{"unknown user", map[string]any{"preferred_username": "fremd"}, nil, "", false},
		{"disabled user", map[string]any{"preferred_username": "gone"}, nil, "", false},
		{"no claim", map[string]any{"email": "anna@stadt.example"}, nil, "", false},
		{"wrong key", map[string]any{"preferred_username": "anna"}, otherKey, "", false},
		{"replayed nonce", map[string]any{"preferred_username": "anna"}, nil, "alte-nonce", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			idp.mu.Lock()
			idp.claims, idp.nonce, idp.signer = tc.claims, tc.nonce, idp.key
			if tc.signer != nil {
				idp.signer = tc.signer
			}
			idp.mu.Unlock()
			c := e.anon()
			resp, raw := idp.signIn(c)
			if !tc.ok {
				wantError(t, resp, raw, 401, anliegen.EUnauthorized, "")
				r2, raw2 := c.do("GET", "/api/v1/session", nil)
				wantError(t, r2, raw2, 401, anliegen.EUnauthorized, "")
				return
			}
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
				t.Fatalf("callback: %d %s", resp.StatusCode, raw)
			}
			var s sessionResponse
			c.mustJSON("GET", "/api/v1/session", nil, 200, &s)
			if s.User.ID != anna.ID || s.CSRFToken == "" {
				t.Fatalf("session after sign-on: %+v", s)
			}
		})
	}

	// A browser (Accept: text/html) that fails lands on the login page
	// with a reason instead of a JSON body; one that succeeds on the app.
	t.Run("browser", func(t *testing.T) {
		for _, tc := range []struct{ user, want string }{{"fremd", "/?sso_error=refused"}, {"anna", "/"}} {
			idp.mu.Lock()
			idp.claims, idp.nonce, idp.signer = map[string]any{"preferred_username": tc.user}, "", idp.key
			idp.mu.Unlock()
			c := e.anon()
			c.http.CheckRedirect = func(req *http.Request, _ []*http.Request) error {
				if req.URL.Path == "/" {
					return http.ErrUseLastResponse
				}
				return nil
			}
			req, err := http.NewRequestWithContext(e.ctx, "GET", e.ts.URL+"/api/v1/oidc/login", nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Accept", "text/html,application/xhtml+xml")
			resp, err := c.http.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != tc.want {
				t.Errorf("%s: callback %d to %q, want 303 to %q", tc.user, resp.StatusCode, resp.Header.Get("Location"), tc.want)
			}
		}
	})

	t.Run("state from another browser", func(t *testing.T) {
		idp.mu.Lock()
		idp.claims, idp.nonce, idp.signer = map[string]any{"preferred_username": "anna"}, "", idp.key
		idp.mu.Unlock()
		// The attacker's browser gets a code for the attacker's account...
		attacker := e.anon()
		attacker.http.CheckRedirect = func(req *http.Request, _ []*http.Request) error {
			if req.URL.Path == "/api/v1/oidc/callback" {
				return http.ErrUseLastResponse
			}
			return nil
		}
		resp, _ := attacker.do("GET", "/api/v1/oidc/login", nil)
		loc, err := resp.Location()
		if err != nil {
			t.Fatal(err)
		}
		// ...and the victim's browser, without the flow cookie, is sent
		// to the callback with it: no session.
		victim := e.anon()
		r2, raw := victim.do("GET", loc.RequestURI(), nil)
		wantError(t, r2, raw, 401, anliegen.EUnauthorized, "")
		// A matching cookie with another state does not pass either.
		victim2 := e.anon()
		victim2.http.CheckRedirect = attacker.http.CheckRedirect
		victim2.do("GET", "/api/v1/oidc/login", nil) // sets victim2's own flow cookie
		r3, raw3 := victim2.do("GET", loc.RequestURI(), nil)
		wantError(t, r3, raw3, 401, anliegen.EUnauthorized, "")
	})

	t.Run("email must be verified", func(t *testing.T) {
		e2 := newOIDCEnv("email")
		u := anliegen.User{Login: "lea@stadt.example", Name: "Lea", Role: anliegen.RoleAgent}
		if err := e2.db.CreateUser(e2.ctx, &u, testPassword); err != nil {
			t.Fatal(err)
		}
		for _, verified := range []bool{false, true} {
			idp.mu.Lock()
			idp.claims, idp.nonce, idp.signer = map[string]any{"email": "lea@stadt.example", "email_verified": verified}, "", idp.key
			idp.mu.Unlock()
			c := e2.anon()
			resp, raw := idp.signIn(c)
			if verified != (resp.StatusCode == http.StatusSeeOther) {
				t.Fatalf("email_verified=%v: %d %s", verified, resp.StatusCode, raw)
			}
		}
	})
}

// TestOIDCOff: without configuration the endpoints say so and do nothing.
func TestOIDCOff(t *testing.T) {
	e := newEnv(t)
	var info oidcInfo
	e.anon().mustJSON("GET", "/api/v1/oidc", nil, 200, &info)
	if info.Enabled {
		t.Fatal("oidc enabled without configuration")
	}
	for _, p := range []string{"/api/v1/oidc/login", "/api/v1/oidc/callback?code=x&state=y"} {
		resp, raw := e.anon().do("GET", p, nil)
		wantError(t, resp, raw, 404, anliegen.ENotFound, "")
	}
}
