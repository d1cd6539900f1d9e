# roasd — see README.md. Targets are the contract with CI (.ci/run).
GO ?= go
PKGS ?= ./...
# Every package is tested under the race detector in `make test` except
# bench (the benchmark harness: mid-size campaigns, slow under -race) and
# reliability (it kills and restarts roasd processes; its own goroutines
# only wait for them).
# RACE_SKIP are tests that count polls of a fake working in wall time
# (the detector slows it, so it polls more): they run without -race.
RACE_SKIP ?= ^TestFirstSyncCallsNearMinimum$$
RACE_PKGS ?= ./ads/... ./configs/... ./store/... ./reconcile/... ./report/... ./metaads/... ./tiktokads/... ./shopify/... ./links/... ./notify/... ./sandbox/... ./scheduler/... ./jobs/... ./web/... ./cmd/roasd/... ./internal/...

.PHONY: demo test build bench soak vet fmt deps deps-postgres

# The PostgreSQL server binaries (and Chromium for the dashboard test) are
# installed from Debian's packages when missing; needs root or sudo.
APT_INSTALL = DEBIAN_FRONTEND=noninteractive $(if $(filter 0,$(shell id -u)),,sudo) apt-get
deps-postgres:
	@command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || \
		{ echo "installing postgresql…"; $(APT_INSTALL) update -qq && $(APT_INSTALL) install -y -qq --no-install-recommends postgresql >/dev/null; }

deps: deps-postgres
	@command -v chromium >/dev/null 2>&1 || \
		{ echo "installing chromium…"; $(APT_INSTALL) update -qq && $(APT_INSTALL) install -y -qq --no-install-recommends chromium >/dev/null; }

## demo: run the full cycle on the embedded examples against the sandbox and a private Postgres
demo: deps-postgres
	$(GO) run ./cmd/roasd demo

## test: unit, integration (real PostgreSQL) and end-to-end tests
test: deps
	$(GO) vet $(PKGS)
	$(GO) test -race -count=1 -timeout 30m -skip '$(RACE_SKIP)' $(RACE_PKGS)
	$(GO) test -count=1 -timeout 30m -run '$(RACE_SKIP)' $(RACE_PKGS)
	$(GO) test -count=1 -timeout 30m $$($(GO) list $(PKGS) | grep -v -x -F "$$($(GO) list $(RACE_PKGS))")

build:
	$(GO) build -o bin/roasd ./cmd/roasd

## bench: Go benchmarks of the hot paths, printed as a table
bench:
	$(GO) build -o bin/roasd ./cmd/roasd
	bin/roasd bench
	$(GO) test -run '^$$' -bench . -benchmem -count 1 -timeout 60m $(PKGS)

## soak: the long reliability tests
soak:
	ROASD_SOAK=1 $(GO) test -count=1 -timeout 60m -v ./reliability/
	ROASD_SOAK=1 $(GO) test -count=1 -timeout 60m -run Soak $(PKGS)

fmt:
	gofmt -w $$(git ls-files '*.go')
