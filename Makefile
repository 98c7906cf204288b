# wslab make targets. `make test` is the test command the README and .ci/run use.
GO ?= go

.PHONY: all build test vet lab
all: vet test

build:
	$(GO) build -o bin/wslab .

vet:
	$(GO) vet ./...

test:
	$(GO) vet ./...
	$(GO) test ./...
