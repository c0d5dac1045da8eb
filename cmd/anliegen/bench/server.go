package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/anliegen/anliegen"
	"github.com/anliegen/anliegen/server"
)

// liveServer is the HTTP server on a loopback port with one staff session
// whose cookie the websocket clients present.
type liveServer struct {
	srv    *server.Server
	addr   string
	cookie string
	done   chan error
}

// startServer starts the server on 127.0.0.1 and logs in an administrator
// through the API, as a browser would.
func (b *run) startServer(ctx context.Context) (*liveServer, error) {
	st := b.st
	pw := make([]byte, 16)
	_, _ = rand.Read(pw)
	password := hex.EncodeToString(pw)
	u := anliegen.User{Login: "bench", Name: "Bench", Role: anliegen.RoleAdmin}
	if err := st.db.CreateUser(ctx, &u, password); err != nil {
		return nil, fmt.Errorf("create bench user: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	srv := server.New(server.Config{Addr: ln.Addr().String()}, server.Deps{
		Logger: warnOnly(b.o.Logger), Tickets: st.db, Events: st.db, Users: st.db,
	})
	ls := &liveServer{srv: srv, addr: ln.Addr().String(), done: make(chan error, 1)}
	go func() { ls.done <- srv.Serve(context.Background(), ln) }()
	st.notify = srv.Notify
	if ls.cookie, err = login(ctx, ls.addr, u.Login, password); err != nil {
		ls.stop()
		return nil, err
	}
	return ls, nil
}

// stop shuts the server down, closing its websockets.
func (ls *liveServer) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = ls.srv.Shutdown(ctx)
	select {
	case <-ls.done:
	case <-ctx.Done():
	}
}

// login posts the credentials and returns the session cookie as a Cookie
// header value.
func login(ctx context.Context, addr, user, password string) (string, error) {
	body, _ := json.Marshal(map[string]string{"login": user, "password": password})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+addr+"/api/v1/session", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("login: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("login: status %s", resp.Status)
	}
	var cookie string
	for _, c := range resp.Cookies() {
		if cookie != "" {
			cookie += "; "
		}
		cookie += c.Name + "=" + c.Value
	}
	if cookie == "" {
		return "", fmt.Errorf("login: no session cookie")
	}
	return cookie, nil
}

// warnOnly passes records of level warn and above to logger: the server
// logs every request at info, which would drown the benchmark's output.
func warnOnly(logger *slog.Logger) *slog.Logger {
	return slog.New(minLevel{h: logger.Handler(), min: slog.LevelWarn})
}

type minLevel struct {
	h   slog.Handler
	min slog.Level
}

func (m minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= m.min && m.h.Enabled(ctx, l)
}
func (m minLevel) Handle(ctx context.Context, r slog.Record) error { return m.h.Handle(ctx, r) }
func (m minLevel) WithAttrs(as []slog.Attr) slog.Handler {
	return minLevel{h: m.h.WithAttrs(as), min: m.min}
}
func (m minLevel) WithGroup(name string) slog.Handler {
	return minLevel{h: m.h.WithGroup(name), min: m.min}
}

// checkpointWatcher records when the index's checkpoint moved, polling
// every millisecond, so that the time an event became searchable can be
// looked up afterwards.
type checkpointWatcher struct {
	seen []cpAt
	last atomic.Int64
	stop chan struct{}
	done chan struct{}
	once sync.Once
}

type cpAt struct {
	cp int64
	at time.Time
}

func watchCheckpoint(cp func() (int64, error)) *checkpointWatcher {
	w := &checkpointWatcher{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			if n, err := cp(); err == nil && n > w.last.Load() {
				w.seen = append(w.seen, cpAt{n, time.Now()})
				w.last.Store(n)
			}
			select {
			case <-w.stop:
				return
			case <-t.C:
			}
		}
	}()
	return w
}

// Stop ends the watch; afterwards reached may be called. Calling it
// again does nothing.
func (w *checkpointWatcher) Stop() {
	w.once.Do(func() { close(w.stop) })
	<-w.done
}

// reached returns when the checkpoint first was at least id.
func (w *checkpointWatcher) reached(id int64) (time.Time, bool) {
	lo, hi := 0, len(w.seen)
	for lo < hi {
		mid := (lo + hi) / 2
		if w.seen[mid].cp >= id {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	if lo == len(w.seen) {
		return time.Time{}, false
	}
	return w.seen[lo].at, true
}
