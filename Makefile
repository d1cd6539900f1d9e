# roasd — see README.md. Targets are the contract with CI (.ci/run).
GO ?= go
PKGS ?= ./...

.PHONY: demo test build bench soak vet fmt

## demo: run the full cycle on the embedded examples against the sandbox and a private Postgres
demo:
	$(GO) run ./cmd/roasd demo

## test: unit, integration (real PostgreSQL) and end-to-end tests
test:
	$(GO) vet $(PKGS)
	$(GO) test -count=1 -timeout 30m $(PKGS)

build:
	$(GO) build -o bin/roasd ./cmd/roasd

## bench: Go benchmarks of the hot paths, printed as a table
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 1 -timeout 60m $(PKGS)

## soak: the long reliability tests
soak:
	ROASD_SOAK=1 $(GO) test -count=1 -timeout 60m -run Soak $(PKGS)

fmt:
	gofmt -w $$(git ls-files '*.go')
