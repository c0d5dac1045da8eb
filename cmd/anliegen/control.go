package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/anliegen/anliegen"
)

// The control socket lets command-line tools use a running server's search
// index, which the server holds locked. It is a Unix socket inside the data
// directory (mode 0700), so file permissions are its authentication: whoever
// may read the SQLite file may also ask the server.

const controlSocketName = "control.sock"

// indexControl is what the control socket needs of the search index.
type indexControl interface {
	anliegen.Searcher
	DocCount() (uint64, error)
	IndexLag(ctx context.Context) (int64, error)
	Reindex(ctx context.Context) error
}

// indexStatus is the index part of `anliegen status`.
type indexStatus struct {
	Indexed  uint64 `json:"indexed"`
	IndexLag int64  `json:"index_lag"`
}

// serveControl serves the control socket until ctx ends.
func serveControl(ctx context.Context, dataDir string, idx indexControl, logger *slog.Logger) error {
	path := filepath.Join(dataDir, controlSocketName)
	// A socket left by a crashed server would make Listen fail; only a live
	// server answers on it, so a stale one can go.
	if c, err := net.DialTimeout("unix", path, 200*time.Millisecond); err == nil {
		c.Close()
		return fmt.Errorf("control socket %s: another server is running on this data directory", path)
	}
	_ = os.Remove(path)
	ln, err := net.Listen("unix", path)
	if err != nil {
		return fmt.Errorf("listen on control socket: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /search", func(w http.ResponseWriter, r *http.Request) {
		q, err := searchQueryFromURL(r.URL.Query())
		if err == nil {
			var res anliegen.SearchResult
			res, err = idx.Search(r.Context(), q)
			if err == nil {
				writeJSON(w, http.StatusOK, res)
				return
			}
		}
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
	})
	mux.HandleFunc("GET /index", func(w http.ResponseWriter, r *http.Request) {
		st, err := readIndexStatus(r.Context(), idx)
		if err != nil {
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, st)
	})
	mux.HandleFunc("POST /reindex", func(w http.ResponseWriter, r *http.Request) {
		if err := idx.Reindex(r.Context()); err != nil {
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	logger.Debug("control socket listening", "path", path)
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("control socket: %w", err)
	}
	_ = os.Remove(path)
	return nil
}

func readIndexStatus(ctx context.Context, idx indexControl) (indexStatus, error) {
	n, err := idx.DocCount()
	if err != nil {
		return indexStatus{}, fmt.Errorf("count documents: %w", err)
	}
	lag, err := idx.IndexLag(ctx)
	if err != nil {
		return indexStatus{}, fmt.Errorf("index lag: %w", err)
	}
	return indexStatus{Indexed: n, IndexLag: lag}, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func searchQueryFromURL(v url.Values) (anliegen.SearchQuery, error) {
	q := anliegen.SearchQuery{Q: v.Get("q"), Scope: anliegen.ScopeAll, Limit: 20}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1000 {
			return q, errors.New("limit must be 1..1000")
		}
		q.Limit = n
	}
	if d := v.Get("department"); d != "" {
		q.Departments = []string{d}
	}
	return q, nil
}

// controlClient talks to a running server's control socket.
type controlClient struct {
	http *http.Client
}

// dialControl returns a client when a server runs on dataDir, nil otherwise.
func dialControl(dataDir string) *controlClient {
	path := filepath.Join(dataDir, controlSocketName)
	c, err := net.DialTimeout("unix", path, 500*time.Millisecond)
	if err != nil {
		return nil
	}
	c.Close()
	return &controlClient{http: &http.Client{
		Timeout: 10 * time.Minute, // a reindex of a large store takes a while
		Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		}},
	}}
}

func (c *controlClient) do(ctx context.Context, method, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, "http://anliegen"+path, nil)
	if err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("ask running server: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var e struct{ Error string }
		_ = json.NewDecoder(resp.Body).Decode(&e)
		return fmt.Errorf("running server: %s", e.Error)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}
