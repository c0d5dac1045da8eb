package server

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestOpenAPIMatchesRoutes checks the served document against echo's
// routes: no route undocumented, nothing documented that does not exist.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	e := newEnv(t)
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	e.anon().mustJSON("GET", "/api/v1/openapi.json", nil, http.StatusOK, &doc)
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi version %q", doc.OpenAPI)
	}
	documented := map[string]bool{}
	for p, ops := range doc.Paths {
		for m := range ops {
			documented[strings.ToUpper(m)+" "+p] = true
		}
	}
	param := regexp.MustCompile(`:([a-z_]+)`)
	registered := map[string]bool{}
	for _, r := range e.srv.echo.Routes() {
		switch {
		case r.Path == "/*" || strings.HasSuffix(r.Path, "/*") || r.Path == "/api/v1":
			continue // UI fallback and echo's per-group not-found routes
		case !slices.Contains([]string{"GET", "POST", "PUT", "PATCH", "DELETE"}, r.Method):
			continue
		}
		registered[r.Method+" "+param.ReplaceAllString(r.Path, "{$1}")] = true
	}
	for k := range registered {
		if !documented[k] {
			t.Errorf("route %s is not documented", k)
		}
	}
	for k := range documented {
		if !registered[k] {
			t.Errorf("documented %s is not a route", k)
		}
	}
	if len(registered) < 40 {
		t.Fatalf("only %d routes registered: the route walk is broken", len(registered))
	}
}

// TestOpenAPISchemas checks that reflected schemas carry the JSON names,
// never a secret.
func TestOpenAPISchemas(t *testing.T) {
	doc := buildOpenAPI(apiOps())
	raw, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]json.RawMessage `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	tk := d.Components.Schemas["Ticket"].Properties
	for _, f := range []string{"id", "number", "status", "priority", "department", "platform", "kind", "assignee", "tags", "created_at", "updated_at", "preview"} {
		if _, ok := tk[f]; !ok {
			t.Errorf("Ticket schema lacks %q", f)
		}
	}
	ch := d.Components.Schemas["ChannelView"].Properties
	if _, ok := ch["secret"]; ok {
		t.Error("the channel response schema has a secret")
	}
	if _, ok := d.Components.Schemas["ChannelRequest"].Properties["secret"]; !ok {
		t.Error("the channel request schema lacks the write-only secret")
	}
}
