package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/anliegen/anliegen"
	"github.com/anliegen/anliegen/server"
)

// TestSingleSignOnLink checks the login page's way to the town's identity
// provider: offered only when the server has one, named as configured,
// reachable by keyboard, and leading to the provider's authorization
// endpoint with this server's callback. The code exchange and token checks
// after that are the server's and tested there.
func TestSingleSignOnLink(t *testing.T) {
	mux := http.NewServeMux()
	idp := httptest.NewServer(mux)
	t.Cleanup(idp.Close)
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer": idp.URL, "authorization_endpoint": idp.URL + "/authorize", "token_endpoint": idp.URL + "/token",
			"jwks_uri": idp.URL + "/keys", "response_types_supported": []string{"code"},
			"subject_types_supported": []string{"public"}, "id_token_signing_alg_values_supported": []string{"RS256"},
		})
	})
	mux.HandleFunc("GET /authorize", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(`<!doctype html><title>Stadt-Login</title><h1 id="idp">Stadt-Login</h1>`))
	})

	// Without a provider there is no link.
	plain := startApp(t, false)
	addAdmin(t, plain)
	ctx := browser(t)
	run(t, ctx, "login page without SSO", chromedp.Navigate(plain.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#login")))
	if n := eval[int](t, ctx, `document.querySelectorAll("#sso").length`); n != 0 {
		t.Errorf("SSO link shown without a provider")
	}

	a := startApp(t, false, func(c *appConfig) {
		c.Server.OIDC = &server.OIDCConfig{Issuer: idp.URL, ClientID: "anliegen", ClientSecret: "geheim", Name: "Stadt-Login"}
	})
	addAdmin(t, a)
	ctx = browser(t)
	run(t, ctx, "login page with SSO", chromedp.Navigate(a.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#sso")))
	if got := eval[string](t, ctx, `document.getElementById("sso").textContent`); got != "Anmelden über Stadt-Login" {
		t.Errorf("SSO link says %q", got)
	}
	// Login field, password, submit button, then the link.
	focused(t, ctx, "login page", "#login")
	run(t, ctx, "tab to SSO", key("\t\t\t"))
	focused(t, ctx, "login page", "#sso")
	run(t, ctx, "follow SSO", key("\r"), chromedp.WaitVisible(chromedp.CSS("#idp")))
	loc := eval[string](t, ctx, `location.href`)
	u, err := url.Parse(loc)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Host != mustHost(t, idp.URL) || u.Path != "/authorize" || q.Get("client_id") != "anliegen" ||
		q.Get("redirect_uri") != a.URL+"/api/v1/oidc/callback" || q.Get("code_challenge") == "" {
		t.Errorf("SSO went to %s", loc)
	}
	// A sign-on the server refused comes back with a reason, which the
	// login page says in German and then drops from the address.
	run(t, ctx, "failed sign-on", chromedp.Navigate(a.URL+"/?sso_error=refused"),
		chromedp.WaitVisible(chromedp.CSS("#login-sso-err")))
	if got := eval[string](t, ctx, `document.getElementById("login-sso-err").textContent`); !strings.Contains(got, "fehlgeschlagen") {
		t.Errorf("failed sign-on says %q", got)
	}
	if got := eval[string](t, ctx, `location.search`); got != "" {
		t.Errorf("address keeps %q after showing the reason", got)
	}
}

// addAdmin creates the first user, so the login page shows instead of the
// first-start screen.
func addAdmin(t *testing.T, a *app) {
	t.Helper()
	u := anliegen.User{Login: "admin", Name: "Ada Admin", Role: anliegen.RoleAdmin, Lang: "de"}
	if err := a.DB.CreateUser(context.Background(), &u, password); err != nil {
		t.Fatalf("create admin: %v", err)
	}
}

func mustHost(t *testing.T, s string) string {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}
