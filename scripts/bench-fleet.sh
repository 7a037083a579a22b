#!/usr/bin/env bash
# The fleet benchmark (make bench): 1000 distinct endpoints on 250 TLS
# listeners on 127.0.0.1 (each its own certificate, 11 faulty), each behind
# internal/latencyproxy at 50 ms round trip with the TCP handshake modelled,
# an OCSP responder for their CA; tlsdoctor -f diagnoses all of them
# (default run: revocation on), then blackbox_exporter (/probe, tls module,
# same concurrency) and testssl --file --parallel on 20 of them
# (extrapolated to 1000) run on the same endpoints. See docs/benchmarks.md.
#
#   scripts/bench-fleet.sh
#   TOOLS=tlsdoctor scripts/bench-fleet.sh        (skip the other tools)
#   N=200 LISTENERS=50 scripts/bench-fleet.sh      (a smaller fleet)
#
# Needs: go. Optional: prometheus-blackbox-exporter, testssl.sh (Debian).
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/tlsdoctor" ./cmd/tlsdoctor
go build -o "$work/fleetbench" ./internal/fleetbench
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores)"
"$work/fleetbench" -tlsdoctor "$work/tlsdoctor" -n "${N:-1000}" -listeners "${LISTENERS:-250}" \
	-tools "${TOOLS:-tlsdoctor,blackbox,testssl}" -testssl-n "${TESTSSL_N:-20}" -parallel "${PARALLEL:-32}"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
