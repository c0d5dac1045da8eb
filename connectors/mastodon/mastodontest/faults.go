package mastodontest

import (
	"net/http"
	"strings"
	"time"
)

// Fault is a failure the server plays instead of answering a request.
type Fault int

// Faults for Inject.
const (
	// FaultServerError answers 500.
	FaultServerError Fault = iota + 1
	// FaultUnavailable answers 503 with "Retry-After: 30", as GoToSocial does
	// under load.
	FaultUnavailable
	// FaultRateLimited answers 429 as if the budget were spent, with the
	// mode's body and rate-limit headers but no Retry-After.
	FaultRateLimited
	// FaultTimeout holds the request until the client gives up (at most
	// 30 s), then answers 504.
	FaultTimeout
	// FaultMalformed answers 200 with a truncated JSON body.
	FaultMalformed
)

// Inject makes the next n API requests (other than instance metadata) fail
// with f, after any faults already queued.
func (s *Server) Inject(f Fault, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults = append(s.faults, f)
	}
}

// PendingFaults returns how many injected faults are still queued.
func (s *Server) PendingFaults() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.faults)
}

// Corrupt makes the status with id serialize with a broken account and
// date from now on, as a malformed payload a connector must skip.
func (s *Server) Corrupt(id string) {
	s.mu.Lock()
	s.corrupt[id] = true
	s.mu.Unlock()
}

func (s *Server) faulty(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/instance") {
			next.ServeHTTP(w, r)
			return
		}
		s.mu.Lock()
		var f Fault
		if len(s.faults) > 0 {
			f, s.faults = s.faults[0], s.faults[1:]
		}
		reset := s.opts.Now().Add(s.opts.RateWindow).UTC().Format("2006-01-02T15:04:05.000000Z")
		s.mu.Unlock()
		switch f {
		case 0:
			next.ServeHTTP(w, r)
		case FaultServerError:
			writeError(w, http.StatusInternalServerError, "We're sorry, but something went wrong on our end.")
		case FaultUnavailable:
			w.Header().Set("Retry-After", "30")
			writeError(w, http.StatusServiceUnavailable, "Service Unavailable")
		case FaultRateLimited:
			w.Header().Set("X-RateLimit-Limit", "300")
			w.Header().Set("X-RateLimit-Remaining", "0")
			w.Header().Set("X-RateLimit-Reset", reset)
			msg := "Too many requests"
			if s.opts.GoToSocial {
				msg = "rate limit reached"
			}
			writeError(w, http.StatusTooManyRequests, msg)
		case FaultTimeout:
			select {
			case <-r.Context().Done():
			case <-time.After(30 * time.Second):
			}
			writeError(w, http.StatusGatewayTimeout, "Gateway Timeout")
		case FaultMalformed:
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			_, _ = w.Write([]byte(`[{"id":"1","type":"mention","status":{"id":`))
		}
	})
}
