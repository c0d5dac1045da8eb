package server

import (
	"strings"
	"sync"
	"time"

	"github.com/anliegen/anliegen"
)

// loginLimiter counts failed logins per account and per client IP in a
// sliding window. Both limits apply: the per-login one stops guessing one
// account's password from many addresses, the per-IP one stops one address
// from trying many accounts. A success clears the account's failures.
// State is in memory: a restart forgets it, which an attacker cannot cause.
type loginLimiter struct {
	perLogin, perIP int
	window          time.Duration

	mu      sync.Mutex
	byLogin map[string][]time.Time
	byIP    map[string][]time.Time
	checks  int
}

// maxTracked bounds the maps; past it, stale keys are swept.
const maxTracked = 10000

func newLoginLimiter(perLogin, perIP int, window time.Duration) *loginLimiter {
	return &loginLimiter{perLogin: perLogin, perIP: perIP, window: window,
		byLogin: map[string][]time.Time{}, byIP: map[string][]time.Time{}}
}

// allow returns a rate_limited error with Retry-After when login or ip has
// used up its failures.
func (l *loginLimiter) allow(now time.Time, login, ip string) error {
	login = strings.ToLower(login)
	l.mu.Lock()
	defer l.mu.Unlock()
	var wait time.Duration
	if w := l.wait(l.byLogin, login, l.perLogin, now); w > wait {
		wait = w
	}
	if w := l.wait(l.byIP, ip, l.perIP, now); w > wait {
		wait = w
	}
	if wait > 0 {
		return &retryAfterError{err: anliegen.Errorf(anliegen.ERateLimited, "too many failed logins, try again later"), after: wait}
	}
	return nil
}

// wait prunes key's failures and returns how long until one more is
// allowed, 0 if now.
func (l *loginLimiter) wait(m map[string][]time.Time, key string, limit int, now time.Time) time.Duration {
	ts := pruneBefore(m[key], now.Add(-l.window))
	if len(ts) == 0 {
		delete(m, key)
		return 0
	}
	m[key] = ts
	if len(ts) < limit {
		return 0
	}
	return ts[len(ts)-limit].Add(l.window).Sub(now)
}

func pruneBefore(ts []time.Time, cutoff time.Time) []time.Time {
	i := 0
	for i < len(ts) && !ts[i].After(cutoff) {
		i++
	}
	return ts[i:]
}

// fail records a failed login.
func (l *loginLimiter) fail(now time.Time, login, ip string) {
	login = strings.ToLower(login)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.byLogin[login] = append(l.byLogin[login], now)
	l.byIP[ip] = append(l.byIP[ip], now)
	if l.checks++; l.checks%100 == 0 || len(l.byLogin)+len(l.byIP) > maxTracked {
		l.sweep(now)
	}
}

// succeed forgets the account's failures.
func (l *loginLimiter) succeed(login string) {
	l.mu.Lock()
	delete(l.byLogin, strings.ToLower(login))
	l.mu.Unlock()
}

func (l *loginLimiter) sweep(now time.Time) {
	cutoff := now.Add(-l.window)
	for _, m := range []map[string][]time.Time{l.byLogin, l.byIP} {
		for k, ts := range m {
			if ts = pruneBefore(ts, cutoff); len(ts) == 0 {
				delete(m, k)
			} else {
				m[k] = ts
			}
		}
	}
}
