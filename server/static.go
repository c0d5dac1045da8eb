package server

import (
	"errors"
	"io"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/labstack/echo/v4"
)

func (s *Server) registerUIRoutes(e *echo.Echo) {
	e.GET("/*", s.handleUI)
	e.HEAD("/*", s.handleUI)
}

// handleUI serves the static UI. Files under /assets/ carry a content hash
// in their name and are cached for a year; everything else, above all
// index.html, is revalidated so a new release shows at once. Unknown paths
// outside the API get index.html: the UI routes on the client.
func (s *Server) handleUI(c echo.Context) error {
	p := c.Request().URL.Path
	if isAPIPath(p) || s.cfg.UI == nil {
		return errNotFound()
	}
	name := strings.TrimPrefix(path.Clean("/"+p), "/")
	if name == "" {
		name = "index.html"
	}
	f, err := s.cfg.UI.Open(name)
	if err == nil {
		st, serr := f.Stat()
		if serr == nil && !st.IsDir() {
			defer f.Close()
			return s.serveFile(c, name, f, st)
		}
		f.Close()
	}
	if strings.HasPrefix(name, "assets/") {
		// A missing hashed asset is an old page asking for a file of an
		// earlier release: index.html would be parsed as script.
		return errNotFound()
	}
	return s.serveIndex(c)
}

func (s *Server) serveIndex(c echo.Context) error {
	f, err := s.cfg.UI.Open("index.html")
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return errNotFound()
		}
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	return s.serveFile(c, "index.html", f, st)
}

func (s *Server) serveFile(c echo.Context, name string, f fs.File, st fs.FileInfo) error {
	h := c.Response().Header()
	if strings.HasPrefix(name, "assets/") {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	rs, ok := f.(io.ReadSeeker)
	if !ok {
		b, err := io.ReadAll(f)
		if err != nil {
			return err
		}
		rs = strings.NewReader(string(b))
	}
	http.ServeContent(c.Response(), c.Request(), path.Base(name), st.ModTime(), rs)
	return nil
}
