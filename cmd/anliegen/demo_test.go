package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// buildBinary builds the anliegen command once per test run.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "anliegen")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("build: %v", err)
	}
	return bin
}

// TestDemoEndToEnd runs `anliegen demo` as a user would and walks through
// it over HTTP: log in, see the sample tickets, get a simulated citizen's
// message live over the websocket, answer it, find the answer on the
// simulated instance.
func TestDemoEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the whole demo")
	}
	bin := buildBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--data", t.TempDir(), "demo", "--listen", "127.0.0.1:0",
		"--sim-interval", "1s", "--poll", "1s", "--seed", "7")
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	})
	base, simURL := readDemoBanner(t, stdout)

	waitReady(t, base)
	c := newClient(t, base)
	csrf := c.login(t, "agent", "demo")

	var page struct {
		Items []struct {
			ID     int64  `json:"id"`
			Status string `json:"status"`
		} `json:"items"`
	}
	c.getJSON(t, "/api/v1/tickets?limit=100", &page)
	if len(page.Items) < 100 {
		t.Fatalf("got %d tickets on the first page, want the imported sample (100)", len(page.Items))
	}

	// The statistics page is wired to the store in the real binary.
	var stats struct {
		Total *int `json:"total"`
	}
	c.getJSON(t, "/api/v1/stats?from="+time.Now().AddDate(0, -11, 0).Format(time.DateOnly), &stats)
	if stats.Total == nil || *stats.Total < 100 {
		t.Fatalf("stats total = %v, want the imported tickets (≥ 100)", stats.Total)
	}

	// A new ticket from the simulator arrives over the websocket.
	ws := c.dial(t, "/api/v1/stream")
	defer ws.Close()
	var ticketID int64
	deadline := time.Now().Add(30 * time.Second)
	for ticketID == 0 {
		_ = ws.SetReadDeadline(deadline)
		var ev struct {
			Type     string `json:"type"`
			TicketID int64  `json:"ticket_id"`
		}
		if err := ws.ReadJSON(&ev); err != nil {
			t.Fatalf("no ticket.created from the simulator within 30s: %v", err)
		}
		if ev.Type == "ticket.created" {
			ticketID = ev.TicketID
		}
	}

	reply := fmt.Sprintf("Vielen Dank, wir kümmern uns darum. (Test %d)", time.Now().UnixNano())
	c.postJSON(t, csrf, fmt.Sprintf("/api/v1/tickets/%d/replies", ticketID), map[string]any{"text": reply}, http.StatusCreated)

	// The reply leaves through the sender and shows on the simulator.
	for end := time.Now().Add(30 * time.Second); ; {
		resp, err := http.Get(simURL + "/")
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if strings.Contains(string(body), "(Test ") && strings.Contains(string(body), reply[len(reply)-20:]) {
				return
			}
		}
		if time.Now().After(end) {
			t.Fatal("reply did not reach the simulator within 30s")
		}
		time.Sleep(200 * time.Millisecond)
	}
}

var (
	demoURL = regexp.MustCompile(`Anliegen demo at (http://\S+)`)
	simLine = regexp.MustCompile(`simulator at (http://\S+)`)
)

func readDemoBanner(t *testing.T, r io.Reader) (base, sim string) {
	t.Helper()
	sc := bufio.NewScanner(r)
	for sc.Scan() && (base == "" || sim == "") {
		if m := demoURL.FindStringSubmatch(sc.Text()); m != nil {
			base = m[1]
		}
		if m := simLine.FindStringSubmatch(sc.Text()); m != nil {
			sim = m[1]
		}
	}
	if base == "" || sim == "" {
		t.Fatalf("demo banner incomplete: base %q, simulator %q (%v)", base, sim, sc.Err())
	}
	go io.Copy(io.Discard, r)
	return base, sim
}

func waitReady(t *testing.T, base string) {
	t.Helper()
	for end := time.Now().Add(60 * time.Second); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
	}
	t.Fatal("server not ready within 60s")
}

type client struct {
	base string
	http *http.Client
}

func newClient(t *testing.T, base string) *client {
	jar, _ := cookiejar.New(nil)
	return &client{base: base, http: &http.Client{Jar: jar, Timeout: 10 * time.Second}}
}

func (c *client) login(t *testing.T, login, password string) string {
	t.Helper()
	var out struct {
		CSRF string `json:"csrf_token"`
	}
	c.do(t, "", "POST", "/api/v1/session", map[string]string{"login": login, "password": password}, http.StatusOK, &out)
	if out.CSRF == "" {
		t.Fatal("login returned no csrf_token")
	}
	return out.CSRF
}

func (c *client) getJSON(t *testing.T, path string, out any) {
	t.Helper()
	c.do(t, "", "GET", path, nil, http.StatusOK, out)
}

func (c *client) postJSON(t *testing.T, csrf, path string, body any, want int) {
	t.Helper()
	c.do(t, csrf, "POST", path, body, want, nil)
}

func (c *client) do(t *testing.T, csrf, method, path string, body any, want int, out any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = strings.NewReader(string(b))
	}
	req, _ := http.NewRequest(method, c.base+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if csrf != "" {
		req.Header.Set("X-CSRF-Token", csrf)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s = %d, want %d: %s", method, path, resp.StatusCode, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: decode: %v", method, path, err)
		}
	}
}

func (c *client) dial(t *testing.T, path string) *websocket.Conn {
	t.Helper()
	u := "ws" + strings.TrimPrefix(c.base, "http") + path
	req, _ := http.NewRequest("GET", c.base+path, nil)
	h := http.Header{"Origin": {c.base}}
	for _, ck := range c.http.Jar.Cookies(req.URL) {
		h.Add("Cookie", ck.String())
	}
	ws, resp, err := websocket.DefaultDialer.Dial(u, h)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial %s: %v (status %d)", u, err, status)
	}
	return ws
}
