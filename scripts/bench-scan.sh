#!/usr/bin/env bash
# Benchmark `tlsdoctor --scan` against local openssl s_server configurations
# behind a latency-adding proxy (25 ms each way), and, when installed, nmap's
# ssl-enum-ciphers, sslscan and testssl.sh on the same servers in the same
# run. The proxy counts every tool's connections.
#
#   scripts/bench-scan.sh            (make bench runs it)
#   DELAY=50ms scripts/bench-scan.sh
#   TOOLS="tlsdoctor nmap" scripts/bench-scan.sh   (skip sslscan and testssl)
#   CONNECT=0 scripts/bench-scan.sh         (do not model each TCP
#                                            handshake; by default a new
#                                            connection's first bytes wait
#                                            one more round trip)
#   RUNS=5 scripts/bench-scan.sh            (each tool five times per server,
#                                            interleaved; the median is kept)
#
# Needs: go, openssl, awk, bash 5. Optional: nmap (apt-get install -y nmap), testssl
# (apt-get install -y testssl.sh), sslscan (apt-get install -y sslscan), nginx.
set -euo pipefail
cd "$(dirname "$0")/.."
DELAY=${DELAY:-25ms}
TOOLS=${TOOLS:-tlsdoctor nmap sslscan testssl}
RUNS=${RUNS:-1}
CONNECT_DELAY=0s
if [ "${CONNECT:-1}" = 1 ]; then
	CONNECT_DELAY=$(awk -v d="$DELAY" 'BEGIN{sub(/ms$/,"",d); printf "%dms", 2*d}')
fi
work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/tlsdoctor" ./cmd/tlsdoctor
go build -o "$work/latencyproxy" ./internal/latencyproxy/cmd/latencyproxy
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/key.pem" -out "$work/cert.pem" \
	-subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -days 2 2>/dev/null

# free_port: a random high port nothing listens on.
free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 40000))
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
	done
}

# start_server NAME ARGS...: openssl s_server behind the proxy; sets ADDR.
start_server() {
	local name=$1; shift
	local port; port=$(free_port)
	openssl s_server -accept "127.0.0.1:$port" -cert "$work/cert.pem" -key "$work/key.pem" -quiet "$@" >/dev/null 2>&1 &
	pids+=($!)
	for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
	"$work/latencyproxy" -backend "127.0.0.1:$port" -delay "$DELAY" -connect-delay "$CONNECT_DELAY" -addr-file "$work/$name.addr" -count-file "$work/$name.count" &
	pids+=($!)
	for _ in $(seq 50); do [ -s "$work/$name.addr" ] && break; sleep 0.1; done
	ADDR=$(cat "$work/$name.addr")
}

count() { sleep 0.3; cat "$1" 2>/dev/null || echo 0; }

# ~20 TLS 1.2 suites + the 3 TLS 1.3 suites.
SUITES='ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305:DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-SHA256:ECDHE-RSA-AES256-SHA384:ECDHE-RSA-AES128-SHA:ECDHE-RSA-AES256-SHA:DHE-RSA-AES128-SHA256:DHE-RSA-AES256-SHA256:DHE-RSA-AES128-SHA:DHE-RSA-AES256-SHA:AES128-GCM-SHA256:AES256-GCM-SHA384:AES128-SHA256:AES256-SHA256:AES128-SHA:AES256-SHA:CAMELLIA128-SHA'

printf 'load average at start: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-22s %-10s %10s %12s %8s\n' server tool seconds connections load1
# run_once NAME TOOL CMD...: one timed run; appends "secs conns" to
# $work/NAME.TOOL.runs.
run_once() {
	local name=$1 tool=$2; shift 2
	local before after t0 t1
	before=$(count "$work/$name.count")
	t0=$EPOCHREALTIME
	"$@" >"$work/$name.$tool.out" 2>&1 || true
	t1=$EPOCHREALTIME
	after=$(count "$work/$name.count")
	local secs; secs=$(awk "BEGIN{printf \"%.2f\", $t1-$t0}")
	printf '%-22s %-10s %10s %12s %8s\n' "$name" "$tool" "$secs" "$((after - before))" "$(cut -d' ' -f1 /proc/loadavg)"
	echo "$secs $((after - before))" >>"$work/$name.$tool.runs"
}

# median NAME TOOL: "secs conns" of the run with the median time.
median() {
	sort -n "$work/$1.$2.runs" | awk '{l[NR]=$0} END{print l[int((NR+1)/2)]}'
}

have() { # TOOL: whether to run it
	[[ " $TOOLS " == *" $1 "* ]] || return 1
	case $1 in
	tlsdoctor) return 0 ;;
	testssl) [ -n "$(command -v testssl.sh || command -v testssl || true)" ] ;;
	*) command -v "$1" >/dev/null ;;
	esac
}

bench() { # NAME
	local name=$1 port=${ADDR##*:}
	local testssl; testssl=$(command -v testssl.sh || command -v testssl || true)
	for _ in $(seq "$RUNS"); do
		if have tlsdoctor; then
			run_once "$name" tlsdoctor "$work/tlsdoctor" --scan --format json "$ADDR"
			local hs; hs=$(grep -o '"handshakes": [0-9]*' "$work/$name.tlsdoctor.out" | grep -o '[0-9]*$' || echo "?")
			echo "    tlsdoctor recorded $hs scan handshakes"
		fi
		# nmap as a user runs it: its port scan (a SYN scan as root, which
		# the proxy never accepts), its own check that the port speaks
		# TLS, then ssl-enum-ciphers.
		have nmap && run_once "$name" nmap nmap -Pn -n -p "$port" --script ssl-enum-ciphers 127.0.0.1
		have sslscan && run_once "$name" sslscan sslscan --no-colour --no-heartbleed --no-renegotiation --no-compression --no-fallback --no-check-certificate "$ADDR"
		have testssl && run_once "$name" testssl "$testssl" --quiet --color 0 --warnings off --nodns none -p -E -P -f "$ADDR"
	done
	have tlsdoctor || return 0
	local td; td=$(median "$name" tlsdoctor)
	for other in nmap sslscan testssl; do
		[ -s "$work/$name.$other.runs" ] || continue
		local o; o=$(median "$name" "$other")
		awk -v name="$name" -v other="$other" -v runs="$RUNS" -v td="$td" -v o="$o" 'BEGIN {
			split(td, a, " "); split(o, b, " ")
			printf "    median of %d: tlsdoctor %.2f s, %d conns; %s %.2f s, %d conns; tlsdoctor / %s = %.2f× time, %.2f× conns (%s takes %.1f× as long)\n",
				runs, a[1], a[2], other, b[1], b[2], other, a[1]/b[1], a[2]/b[2], other, b[1]/a[1]
		}'
	done
}

# start_nginx NAME: the same 22 suites on nginx (4 workers: connections in
# parallel, unlike s_server), behind the proxy; sets ADDR.
start_nginx() {
	local name=$1 port; port=$(free_port)
	mkdir -p "$work/nginx/logs"
	cat >"$work/nginx/nginx.conf" <<CONF
worker_processes 4;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log crit;
events { worker_connections 256; }
http {
	access_log off;
	client_body_temp_path $work/nginx; proxy_temp_path $work/nginx; fastcgi_temp_path $work/nginx; uwsgi_temp_path $work/nginx; scgi_temp_path $work/nginx;
	server {
		listen 127.0.0.1:$port ssl;
		ssl_certificate $work/cert.pem;
		ssl_certificate_key $work/key.pem;
		ssl_protocols TLSv1.2 TLSv1.3;
		ssl_ciphers $SUITES;
		return 200 "ok";
	}
}
CONF
	nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" -g 'daemon off;' 2>/dev/null &
	pids+=($!)
	for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
	"$work/latencyproxy" -backend "127.0.0.1:$port" -delay "$DELAY" -connect-delay "$CONNECT_DELAY" -addr-file "$work/$name.addr" -count-file "$work/$name.count" &
	pids+=($!)
	for _ in $(seq 50); do [ -s "$work/$name.addr" ] && break; sleep 0.1; done
	ADDR=$(cat "$work/$name.addr")
}

start_server tls12-13-22suites -no_ssl3 -no_tls1 -no_tls1_1 -cipher "$SUITES"
bench tls12-13-22suites
# The same suites with the server's own order: the scan must learn that
# order (parallel chains over tiers and a merge, docs/scan.md).
start_server tls12-13-serverpref -no_ssl3 -no_tls1 -no_tls1_1 -serverpref -cipher "$SUITES"
bench tls12-13-serverpref
start_server tls10-only -tls1 -cipher 'ECDHE-RSA-AES128-SHA:ECDHE-RSA-AES256-SHA:AES128-SHA:AES256-SHA:@SECLEVEL=0'
bench tls10-only
if command -v nginx >/dev/null; then
	start_nginx nginx-22suites
	bench nginx-22suites
fi
