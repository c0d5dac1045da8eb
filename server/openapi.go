package server

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"

	"github.com/anliegen/anliegen"
)

// apiOp documents one operation. The table below is kept by hand beside
// the route tables; TestOpenAPIMatchesRoutes fails when they drift apart.
type apiOp struct {
	method, path, summary string
	access                string // "public", "session", "admin"
	query                 []string
	body                  any // request body type, nil for none
	resp                  any // response body type, nil for none
	status                int // success status, default 200
	list                  bool
}

// listOf marks a response as {"items":[T...]}.
type listOf struct{ item any }

func apiOps() []apiOp {
	ticketQuery := []string{"status", "department", "assignee", "tag", "platform", "channel", "priority", "unassigned", "mine",
		"created_from", "created_to", "updated_from", "updated_to", "sort", "cursor", "limit"}
	return []apiOp{
		{method: "GET", path: "/healthz", summary: "Process is up", access: "public"},
		{method: "GET", path: "/readyz", summary: "Store and index usable (503 when not)", access: "public"},
		{method: "GET", path: "/metrics", summary: "Prometheus metrics (Bearer token when configured)", access: "public"},
		{method: "GET", path: "/hooks/{platform}/{channel}", summary: "Webhook verification challenge", access: "public"},
		{method: "POST", path: "/hooks/{platform}/{channel}", summary: "Webhook delivery (raw body)", access: "public"},
		{method: "GET", path: "/api/v1/openapi.json", summary: "This document", access: "public"},

		{method: "POST", path: "/api/v1/session", summary: "Log in; sets the session cookie", access: "public", body: loginRequest{}, resp: sessionResponse{}},
		{method: "GET", path: "/api/v1/session", summary: "The current session", access: "session", resp: sessionResponse{}},
		{method: "DELETE", path: "/api/v1/session", summary: "Log out", access: "session", status: 204},
		{method: "GET", path: "/api/v1/oidc", summary: "Whether single sign-on through an identity provider is offered", access: "public", resp: oidcInfo{}},
		{method: "GET", path: "/api/v1/oidc/login", summary: "Start single sign-on: redirects (302) to the identity provider", access: "public", status: 302},
		{method: "GET", path: "/api/v1/oidc/callback", summary: "The identity provider's redirect back; logs in an existing user and redirects (303) to /", access: "public", query: []string{"code", "state", "error"}, status: 303},
		{method: "GET", path: "/api/v1/setup", summary: "Whether the first administrator must be created", access: "public", resp: setupState{}},
		{method: "POST", path: "/api/v1/setup", summary: "Create the first administrator and log in (409 once done)", access: "public", body: setupRequest{}, resp: sessionResponse{}, status: 201},
		{method: "PATCH", path: "/api/v1/me", summary: "Change own name, language or password", access: "session", body: meUpdateRequest{}, resp: sessionResponse{}},

		{method: "GET", path: "/api/v1/tickets", summary: "List tickets in the caller's scope", access: "session", query: ticketQuery, resp: anliegen.TicketPage{}},
		{method: "GET", path: "/api/v1/tickets/{id}", summary: "A ticket with messages, events, contact and its channel (with capabilities)", access: "session", resp: ticketDetailResponse{}},
		{method: "PATCH", path: "/api/v1/tickets/{id}", summary: "Change status, priority, department, assignee, tags (409 on a stale version)", access: "session", body: ticketUpdateRequest{}, resp: anliegen.Ticket{}},
		{method: "POST", path: "/api/v1/tickets/{id}/merge", summary: "Merge this ticket into another", access: "session", body: mergeRequest{}, resp: anliegen.Ticket{}},
		{method: "POST", path: "/api/v1/tickets/{id}/notes", summary: "Add an internal note", access: "session", body: noteRequest{}, resp: anliegen.Message{}, status: 201},
		{method: "POST", path: "/api/v1/tickets/{id}/read", summary: "Mark the ticket read", access: "session", status: 204},
		{method: "POST", path: "/api/v1/tickets/{id}/replies", summary: "Queue a reply (409 when someone else replied within a minute and confirm is not set)", access: "session", body: replyRequest{}, resp: anliegen.Message{}, status: 201},
		{method: "POST", path: "/api/v1/tickets/{id}/replies/{mid}/retry", summary: "Send a failed reply again", access: "session", resp: anliegen.Message{}},
		{method: "GET", path: "/api/v1/tickets/{id}/similar", summary: "Resolved tickets like this one, with their answers", access: "session", query: []string{"limit"}, resp: similarResponse{}},
		{method: "GET", path: "/api/v1/search", summary: "Full-text search in the caller's scope", access: "session",
			query: []string{"q", "department", "platform", "status", "tag", "from", "to", "limit", "offset"}, resp: anliegen.SearchResult{}},
		{method: "GET", path: "/api/v1/contacts/{id}", summary: "A contact with the tickets the caller may see", access: "session", resp: contactResponse{}},
		{method: "GET", path: "/api/v1/stream", summary: "Websocket of events (one JSON object per text frame); since=N resumes", access: "session", query: []string{"since"}, status: 101},

		{method: "GET", path: "/api/v1/staff", summary: "Active staff (id, login, name, role, departments) for assignee pickers", access: "session", resp: listOf{staffMember{}}},
		{method: "GET", path: "/api/v1/users", summary: "List users", access: "admin", resp: listOf{anliegen.User{}}},
		{method: "POST", path: "/api/v1/users", summary: "Create a user", access: "admin", body: userCreateRequest{}, resp: anliegen.User{}, status: 201},
		{method: "PATCH", path: "/api/v1/users/{id}", summary: "Change a user (role, departments, disable, password reset)", access: "admin", body: userUpdateRequest{}, resp: anliegen.User{}},

		{method: "GET", path: "/api/v1/departments", summary: "List departments", access: "session", resp: listOf{anliegen.Department{}}},
		{method: "POST", path: "/api/v1/departments", summary: "Create a department", access: "admin", body: anliegen.Department{}, resp: anliegen.Department{}, status: 201},
		{method: "PATCH", path: "/api/v1/departments/{id}", summary: "Rename a department", access: "admin", body: departmentUpdateRequest{}, resp: anliegen.Department{}},
		{method: "DELETE", path: "/api/v1/departments/{id}", summary: "Delete a department", access: "admin", status: 204},

		{method: "GET", path: "/api/v1/rules", summary: "Routing rules by position", access: "admin", resp: listOf{anliegen.Rule{}}},
		{method: "POST", path: "/api/v1/rules", summary: "Create a rule", access: "admin", body: anliegen.Rule{}, resp: anliegen.Rule{}, status: 201},
		{method: "POST", path: "/api/v1/rules/test", summary: "Dry run: which rule would route this text", access: "admin", body: ruleTestRequest{}, resp: ruleTestResponse{}},
		{method: "PATCH", path: "/api/v1/rules/{id}", summary: "Replace a rule", access: "admin", body: anliegen.Rule{}, resp: anliegen.Rule{}},
		{method: "DELETE", path: "/api/v1/rules/{id}", summary: "Delete a rule", access: "admin", status: 204},

		{method: "GET", path: "/api/v1/canned", summary: "Canned answers in the caller's scope", access: "session", resp: listOf{anliegen.CannedAnswer{}}},
		{method: "POST", path: "/api/v1/canned", summary: "Create a canned answer (admins; department users for their department)", access: "session", body: anliegen.CannedAnswer{}, resp: anliegen.CannedAnswer{}, status: 201},
		{method: "PATCH", path: "/api/v1/canned/{id}", summary: "Replace a canned answer", access: "session", body: anliegen.CannedAnswer{}, resp: anliegen.CannedAnswer{}},
		{method: "DELETE", path: "/api/v1/canned/{id}", summary: "Delete a canned answer", access: "session", status: 204},

		{method: "GET", path: "/api/v1/stats", summary: "Ticket volume and response times in the caller's scope", access: "session", query: []string{"from", "to"}, resp: anliegen.TicketStats{}},

		{method: "GET", path: "/api/v1/channels", summary: "Channels with health (settings for admins only; secrets never)", access: "session", resp: listOf{channelView{}}},
		{method: "GET", path: "/api/v1/channels/{id}", summary: "One channel", access: "session", resp: channelView{}},
		{method: "POST", path: "/api/v1/channels", summary: "Create a channel (secret is write-only)", access: "admin", body: channelRequest{}, resp: channelView{}, status: 201},
		{method: "PATCH", path: "/api/v1/channels/{id}", summary: "Change a channel; an empty secret keeps the stored one", access: "admin", body: channelRequest{}, resp: channelView{}},
		{method: "DELETE", path: "/api/v1/channels/{id}", summary: "Delete a channel", access: "admin", status: 204},
		{method: "POST", path: "/api/v1/channels/{id}/test", summary: "Test the channel's connection", access: "admin", resp: channelTestResponse{}},
	}
}

var pathParam = regexp.MustCompile(`\{([a-z_]+)\}`)

// buildOpenAPI returns the OpenAPI 3 document of ops.
func buildOpenAPI(ops []apiOp) map[string]any {
	sc := &schemas{components: map[string]any{}}
	errRef := sc.of(errorBody{})
	paths := map[string]any{}
	for _, op := range ops {
		item, _ := paths[op.path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[op.path] = item
		}
		item[strings.ToLower(op.method)] = operation(sc, op, errRef)
	}
	return map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{"title": "Anliegen API", "version": "1",
			"description": "Session cookie auth; state-changing requests need the X-CSRF-Token header from the session. Errors are {\"error\":{\"code\",\"message\",\"field\"}}."},
		"paths":      paths,
		"components": map[string]any{"schemas": sc.components, "securitySchemes": map[string]any{"session": map[string]any{"type": "apiKey", "in": "cookie", "name": sessionCookie}}},
	}
}

func operation(sc *schemas, op apiOp, errRef map[string]any) map[string]any {
	status := op.status
	if status == 0 {
		status = http.StatusOK
	}
	ok := map[string]any{"description": http.StatusText(status)}
	switch r := op.resp.(type) {
	case nil:
	case listOf:
		ok["content"] = jsonContent(map[string]any{"type": "object",
			"properties": map[string]any{"items": map[string]any{"type": "array", "items": sc.of(r.item)}}})
	default:
		ok["content"] = jsonContent(sc.of(r))
	}
	o := map[string]any{
		"summary":     op.summary,
		"operationId": strings.ToLower(op.method) + pathParam.ReplaceAllString(strings.ReplaceAll(op.path, "/", "_"), "by_$1"),
		"responses": map[string]any{
			itoa(status): ok,
			"default":    map[string]any{"description": "Error", "content": jsonContent(errRef)},
		},
	}
	if op.access == "public" {
		o["security"] = []any{}
	} else {
		o["security"] = []any{map[string]any{"session": []any{}}}
		if op.access == "admin" {
			o["description"] = "Administrators only (403 for others)."
		}
	}
	var params []any
	for _, m := range pathParam.FindAllStringSubmatch(op.path, -1) {
		t := "integer"
		if m[1] == "platform" || strings.HasPrefix(op.path, "/api/v1/departments") {
			t = "string"
		}
		params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": t}})
	}
	for _, q := range op.query {
		params = append(params, map[string]any{"name": q, "in": "query", "schema": map[string]any{"type": "string"}})
	}
	if params != nil {
		o["parameters"] = params
	}
	if op.body != nil {
		o["requestBody"] = map[string]any{"required": true, "content": jsonContent(sc.of(op.body))}
	}
	return o
}

func jsonContent(schema map[string]any) map[string]any {
	return map[string]any{"application/json": map[string]any{"schema": schema}}
}

func itoa(n int) string { return strconv.Itoa(n) }

// openAPIDoc caches the document; it depends only on code.
type openAPIDoc struct {
	once sync.Once
	doc  map[string]any
}

func (s *Server) handleOpenAPI(c echo.Context) error {
	s.openapi.once.Do(func() { s.openapi.doc = buildOpenAPI(apiOps()) })
	return c.JSON(http.StatusOK, s.openapi.doc)
}
