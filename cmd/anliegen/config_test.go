package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

func testEnv(vars map[string]string) (Env, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	return Env{
		Stdin:  strings.NewReader(""),
		Stdout: &out,
		Stderr: &errb,
		Getenv: func(k string) string { return vars[k] },
	}, &out, &errb
}

func TestGlobalPrecedence(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"default", []string{"status"}, nil, "data"},
		{"env", []string{"status"}, map[string]string{"ANLIEGEN_DATA": "/srv/a"}, "/srv/a"},
		{"flag beats env", []string{"--data", "/srv/b", "status"}, map[string]string{"ANLIEGEN_DATA": "/srv/a"}, "/srv/b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, _, _ := testEnv(tt.env)
			g, rest, err := parseGlobal(tt.args, env)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasSuffix(g.Data, tt.want) || !filepath.IsAbs(g.Data) {
				t.Errorf("Data = %q, want absolute path ending in %q", g.Data, tt.want)
			}
			if len(rest) != 1 || rest[0] != "status" {
				t.Errorf("rest = %q", rest)
			}
		})
	}
}

func TestMainUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		code int
		msg  string
	}{
		{nil, 2, "usage"},
		{[]string{"frobnicate"}, 2, "unknown command"},
		{[]string{"--log-level", "loud", "status"}, 2, "--log-level"},
		{[]string{"--log-format", "xml", "status"}, 2, "--log-format"},
		{[]string{"user", "add", "--login", "x y", "--role", "agent"}, 2, "login"},
		{[]string{"user", "add", "--login", "h", "--role", "department"}, 2, "departments"},
		{[]string{"import"}, 2, "FILE"},
		{[]string{"serve", "--session-ttl", "24h", "--session-max-age", "1h"}, 2, "--session-max-age"},
		{[]string{"demo", "--session-ttl", "0s"}, 2, "--session-max-age"},
	}
	for _, tt := range tests {
		env, _, errb := testEnv(nil)
		if code := Main(context.Background(), tt.args, env); code != tt.code {
			t.Errorf("Main(%q) = %d, want %d; stderr: %s", tt.args, code, tt.code, errb)
		}
		if !strings.Contains(errb.String(), tt.msg) {
			t.Errorf("Main(%q) stderr %q lacks %q", tt.args, errb, tt.msg)
		}
	}
}
