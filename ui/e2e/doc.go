// Package e2e holds the browser end-to-end tests of the staff UI: they
// start the real server with a temporary store, a fake Mastodon instance
// behind the real connector, and drive Debian's Chromium with chromedp.
package e2e
