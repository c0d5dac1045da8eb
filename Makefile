# Anliegen: `make run` starts the demo, `make test` runs every test.
GO ?= go

.PHONY: run test test-go test-ui deps ui check fuzz bench

run:
	$(GO) run ./cmd/anliegen demo

# test installs what a fresh Debian machine lacks (Node, Chromium, Dovecot; see
# .ci/install-deps), rebuilds the UI and checks it matches the committed
# ui/dist, then runs all Go tests with the race detector.
test: deps test-ui test-go

deps:
	bash .ci/install-deps

# The browser tests (ui/e2e: main flow by keyboard, accessibility, search,
# reconnect, first paint) run here with everything else, under -race.
test-go:
	$(GO) test -race -count=1 -timeout 20m ./...

test-ui:
	@if [ -f ui/package.json ]; then bash .ci/ui-check; fi

ui:
	cd ui && npm ci --no-audit --no-fund && npm run build

check:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)
	$(GO) vet ./...

fuzz:
	bash .ci/fuzz

bench:
	$(GO) run ./cmd/anliegen bench --messages 100000
