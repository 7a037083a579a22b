#!/usr/bin/env bash
# Benchmark `tlsdoctor serve` against Debian's prometheus-blackbox-exporter,
# side by side in the same run: 1000 endpoints (latency proxies in front of
# the lab's good TLS server, 25 ms each way plus one round trip for the TCP
# handshake), each scraped through both exporters as Prometheus does
# (concurrent /probe requests with X-Prometheus-Scrape-Timeout-Seconds).
# Prints scrapes/s, p50/p99 request duration, failures, peak RSS and CPU per
# scrape; then the same with two Prometheus servers scraping every endpoint
# (an HA pair), where tlsdoctor's --min-interval cache answers the second.
#
#   scripts/bench-exporter.sh                 (make bench runs it)
#   ENDPOINTS=200 CONCURRENCY=50 scripts/bench-exporter.sh
#
# Needs: go. Optional: prometheus-blackbox-exporter (apt-get install -y
# prometheus-blackbox-exporter); without it only tlsdoctor is measured.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/tlsdoctor" ./cmd/tlsdoctor
go build -o "$work/benchexporter" ./internal/latencyproxy/cmd/benchexporter
bb=$(command -v prometheus-blackbox-exporter || true)
if [ -z "$bb" ]; then
	echo "bench-exporter: prometheus-blackbox-exporter not installed (apt-get install -y prometheus-blackbox-exporter); measuring tlsdoctor only" >&2
fi
# 1000 proxies and their connections need file descriptors.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
"$work/benchexporter" -tlsdoctor "$work/tlsdoctor" -blackbox "$bb" \
	-endpoints "${ENDPOINTS:-1000}" -concurrency "${CONCURRENCY:-100}" -rounds "${ROUNDS:-2}" -replicas "${REPLICAS:-2}" ${FETCH_CACHE:+-fetch-cache "$FETCH_CACHE"}
