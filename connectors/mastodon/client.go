package mastodon

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/anliegen/anliegen"
)

// maxBody bounds what is read of one response; a page of 80 notifications
// with long statuses stays far below it.
const maxBody = 16 << 20

// response is what the connector keeps of an HTTP response besides the body.
type response struct {
	status    int
	header    http.Header
	rateLimit *anliegen.RateLimit
}

func (c *Connector) get(ctx context.Context, path string, q url.Values, out any) (response, error) {
	u := c.base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return response{}, &anliegen.PlatformError{Kind: anliegen.ErrPermanent, Err: err}
	}
	return c.do(req, out)
}

func (c *Connector) postJSON(ctx context.Context, path string, body any, header http.Header, out any) (response, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return response{}, &anliegen.PlatformError{Kind: anliegen.ErrPermanent, Err: err}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, bytes.NewReader(b))
	if err != nil {
		return response{}, &anliegen.PlatformError{Kind: anliegen.ErrPermanent, Err: err}
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	return c.do(req, out)
}

// do sends req with the token and decodes a 2xx body into out (a
// *json.RawMessage receives it as is). Every failure is a
// *anliegen.PlatformError classified per PLATFORMS.md.
func (c *Connector) do(req *http.Request, out any) (response, error) {
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "Anliegen (+https://github.com/anliegen/anliegen)")
	resp, err := c.client.Do(req)
	if err != nil {
		// Network errors, timeouts and cancellation: the request may be
		// retried; the cursor has not moved.
		return response{}, &anliegen.PlatformError{Kind: anliegen.ErrTemporary, Err: fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, err)}
	}
	defer resp.Body.Close()
	r := response{status: resp.StatusCode, header: resp.Header, rateLimit: parseRateLimit(resp.Header)}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return r, &anliegen.PlatformError{Kind: anliegen.ErrTemporary, Status: r.status, Err: fmt.Errorf("read %s: %w", req.URL.Path, err)}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return r, classify(r, req, body, c.now())
	}
	if out == nil {
		return r, nil
	}
	if raw, ok := out.(*json.RawMessage); ok {
		*raw = body
		return r, nil
	}
	if err := json.Unmarshal(body, out); err != nil {
		// A truncated or garbled page is the server's fault, not the
		// items': retry it later rather than skip what it held.
		return r, &anliegen.PlatformError{Kind: anliegen.ErrTemporary, Status: r.status, Err: fmt.Errorf("decode %s: %w", req.URL.Path, err)}
	}
	return r, nil
}

// classify maps an error response to a PlatformError.
func classify(r response, req *http.Request, body []byte, now time.Time) error {
	var e struct {
		Error string `json:"error"`
	}
	_ = json.Unmarshal(body, &e)
	if e.Error == "" {
		e.Error = http.StatusText(r.status)
	}
	err := &anliegen.PlatformError{Status: r.status, Err: fmt.Errorf("%s %s: %s", req.Method, req.URL.Path, e.Error)}
	switch {
	case r.status == http.StatusUnauthorized, r.status == http.StatusForbidden:
		err.Kind = anliegen.ErrAuth
	case r.status == http.StatusTooManyRequests:
		// Mastodon sends no Retry-After on 429: the reset header says when.
		err.Kind = anliegen.ErrRateLimited
		err.RetryAt = retryAfter(r.header, now)
		if err.RetryAt.IsZero() && r.rateLimit != nil {
			err.RetryAt = r.rateLimit.Reset
		}
	case r.status == http.StatusRequestTimeout, r.status >= 500:
		err.Kind = anliegen.ErrTemporary
		err.RetryAt = retryAfter(r.header, now) // GoToSocial: 503 + Retry-After: 30
	default: // 400, 404, 410, 422: the request itself cannot succeed
		err.Kind = anliegen.ErrPermanent
	}
	return err
}

// retryAfter reads a Retry-After header in seconds or as an HTTP date.
func retryAfter(h http.Header, now time.Time) time.Time {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return time.Time{}
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return now.Add(time.Duration(s) * time.Second)
	}
	if t, err := http.ParseTime(v); err == nil {
		return t
	}
	return time.Time{}
}

// parseRateLimit reads X-RateLimit-*; Reset is ISO 8601, or Unix seconds
// in old GoToSocial versions. nil when the headers are absent or broken.
func parseRateLimit(h http.Header) *anliegen.RateLimit {
	lim, err1 := strconv.Atoi(h.Get("X-RateLimit-Limit"))
	rem, err2 := strconv.Atoi(h.Get("X-RateLimit-Remaining"))
	reset, err3 := parseReset(h.Get("X-RateLimit-Reset"))
	if err := errors.Join(err1, err2, err3); err != nil {
		return nil
	}
	return &anliegen.RateLimit{Limit: lim, Remaining: rem, Reset: reset}
}

func parseReset(v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, errors.New("no reset")
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t.UTC(), nil
	}
	s, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("rate-limit reset %q: %w", v, err)
	}
	return time.Unix(int64(s), 0).UTC(), nil
}
