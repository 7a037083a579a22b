# tlsdoctor — see README.md.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X github.com/tlsdoctor/tlsdoctor/internal/cli.Version=$(VERSION)
GO ?= go

.PHONY: all build test test-real demo lint bench clean

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o tlsdoctor ./cmd/tlsdoctor

# Built-in fault servers on 127.0.0.1, diagnosed one by one. No network needed.
demo: build
	./tlsdoctor demo

test:
	$(GO) test -race -timeout 15m ./...

# The slow real peers, run by .ci/run after `make test`: real clients
# (openssl, curl, python3, gnutls-cli, Java clients compiled at test time)
# against every path-validation case served by openssl s_server and
# against a Java (JSSE) server; and real servers (Postfix, Dovecot IMAP/POP3/LMTP, slapd,
# PostgreSQL, MariaDB, Prosody, vsftpd, Squid, tinyproxy), each started
# from a generated configuration on a free loopback port. A test skips
# when its Debian package is missing (.ci/run installs them). Needs root
# (servers run as their own users).
test-real:
	TLSDOCTOR_REAL=1 $(GO) test -timeout 20m -run 'TestJava|RealClients' ./checks/
	$(GO) test -tags realpeers -run '^TestReal' -timeout 15m -v ./probe/

lint:
	$(GO) vet ./...
	@command -v staticcheck >/dev/null && staticcheck ./... || echo "staticcheck not installed: go install honnef.co/go/tools/cmd/staticcheck@latest"
	@command -v govulncheck >/dev/null && govulncheck ./... || echo "govulncheck not installed: go install golang.org/x/vuln/cmd/govulncheck@latest"

bench: build
	$(GO) test -run '^$$' -bench . -benchtime 20x ./probe/...
	./scripts/bench-default-run.sh
	./scripts/bench-scan.sh
	./scripts/bench-fleet.sh
	./scripts/bench-exporter.sh

clean:
	rm -f tlsdoctor
