package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBenchUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		msg  string
	}{
		{[]string{"bench", "--messages", "10"}, "--messages"},
		{[]string{"bench", "--ws-clients", "0"}, "--ws-clients"},
		{[]string{"bench", "extra"}, "unexpected argument"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			env, _, errb := testEnv(nil)
			if code := Main(context.Background(), tt.args, env); code != 2 {
				t.Errorf("exit code %d, want 2", code)
			}
			if !strings.Contains(errb.String(), tt.msg) {
				t.Errorf("stderr %q lacks %q", errb.String(), tt.msg)
			}
		})
	}
}

// The environment twin of --data names the real data directory: bench
// must not take it as scratch, and refuses a scratch directory with files.
func TestBenchNeverUsesDataDir(t *testing.T) {
	data := t.TempDir()
	keep := filepath.Join(data, "anliegen.db")
	if err := os.WriteFile(keep, []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	env, _, errb := testEnv(map[string]string{"ANLIEGEN_DATA": data})
	if code := Main(context.Background(), []string{"bench", "--data", data, "--messages", "1000"}, env); code != 1 {
		t.Errorf("exit code %d, want 1; stderr %s", code, errb.String())
	}
	if !strings.Contains(errb.String(), "not empty") {
		t.Errorf("stderr %q does not say the directory is not empty", errb.String())
	}
	if b, _ := os.ReadFile(keep); string(b) != "keep" {
		t.Error("bench changed a file in the data directory")
	}
}
