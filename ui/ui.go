// Package ui holds the staff web app, built from TypeScript in this
// directory (npm run build) into dist/ and embedded here so that the
// binary serves it without Node. dist/ is committed; CI rebuilds it and
// fails when it differs (.ci/ui-check).
package ui

import (
	"embed"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

// FS returns the built app: index.html at its root, hashed files under
// assets/. Routes are in the URL fragment (#/tickets/12), so the server
// needs no fallback to index.html for app paths.
func FS() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		// fs.Sub fails only for an invalid path name, never for "dist".
		panic(err)
	}
	return sub
}
