#!/usr/bin/env bash
# Time a default `tlsdoctor HOST` run against `openssl s_client -connect HOST
# </dev/null`, process start included for both, in one run:
#
#  1. on a local openssl s_server (TLS 1.3, P-256), no latency: the default
#     run (revocation full; the certificate names no responder) and with
#     --revocation off;
#  2. through the latency proxy (25 ms each way, and with CONNECT=1, the
#     default, one more round trip before a new connection's first bytes),
#     against an s_server whose leaf names an OCSP responder (openssl ocsp)
#     behind the same proxy: --revocation full asks it, --revocation off
#     does not, and --revocation off --no-sni-check makes no second
#     handshake without SNI either. The proxies count connections.
#
# Each command runs N times (default 30), the commands interleaved; the
# median is kept. Targets (issue 17): --revocation off <= 0.7x s_client,
# --revocation full with the responder behind the proxy <= 1.5x.
#
#   scripts/bench-default-run.sh        (make bench runs it)
#   N=50 DELAY=50ms CONNECT=0 scripts/bench-default-run.sh
#
# Needs: go, openssl, awk, bash 5.
set -euo pipefail
N=${N:-30}
DELAY=${DELAY:-25ms}
CONNECT=${CONNECT:-1}
cd "$(dirname "$0")/.."
dir=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT
go build -o "$dir/tlsdoctor" ./cmd/tlsdoctor
go build -o "$dir/latencyproxy" ./internal/latencyproxy/cmd/latencyproxy
connect_delay=0s
if [ "$CONNECT" = 1 ]; then
	connect_delay=$(awk -v d="$DELAY" 'BEGIN{sub(/ms$/,"",d); printf "%dms", 2*d}')
fi

free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 40000))
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
	done
}
wait_port() { for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return; sleep 0.1; done; }
# wait_listen PORT: like wait_port without connecting (openssl ocsp 3.0
# spins on a connection that closes before sending a request).
wait_listen() {
	for _ in $(seq 50); do
		if command -v ss >/dev/null; then
			ss -ltnH "sport = :$1" | grep -q . && return
		else
			sleep 0.5 && return
		fi
		sleep 0.1
	done
}
# proxy NAME BACKEND_PORT: a latency proxy; sets PROXY (host:port).
proxy() {
	"$dir/latencyproxy" -backend "127.0.0.1:$2" -delay "$DELAY" -connect-delay "$connect_delay" \
		-addr-file "$dir/$1.addr" -count-file "$dir/$1.count" &
	pids+=($!)
	for _ in $(seq 50); do [ -s "$dir/$1.addr" ] && break; sleep 0.1; done
	PROXY=$(cat "$dir/$1.addr")
}
count() { sleep 0.3; cat "$dir/$1.count" 2>/dev/null || echo 0; }

# bench LABEL COUNTFILES -- NAME=CMD ...: N interleaved rounds; prints the
# median per command, the connections each made (per count file) and the
# ratio to the command named s_client.
bench() {
	local label=$1 counts=$2; shift 2
	local names=() cmds=()
	for nc in "$@"; do names+=("${nc%%=*}"); cmds+=("${nc#*=}"); done
	: >"$dir/times"
	for i in "${!names[@]}"; do
		# one warm-up run each, counted for the connections
		local before=() after
		for c in $counts; do before+=("$(count "$c")"); done
		eval "${cmds[$i]}" >/dev/null 2>&1 </dev/null || true
		local conns="" j=0
		for c in $counts; do after=$(count "$c"); conns+="$c:$((after - before[j])) "; j=$((j + 1)); done
		echo "${names[$i]} $conns" >>"$dir/conns"
	done
	for _ in $(seq "$N"); do
		for i in "${!names[@]}"; do
			# EPOCHREALTIME (bash 5): no date process inside the timing.
			local t0 t1
			t0=${EPOCHREALTIME/./}
			eval "${cmds[$i]}" >/dev/null 2>&1 </dev/null || true
			t1=${EPOCHREALTIME/./}
			echo "${names[$i]} $((t1 - t0))" >>"$dir/times"
		done
	done
	printf '%s (%d runs each, load average %s)\n' "$label" "$N" "$(cut -d' ' -f1-3 /proc/loadavg)"
	awk -v conns="$dir/conns" '
		BEGIN { while ((getline l < conns) > 0) { split(l, f, " "); c[f[1]] = substr(l, length(f[1]) + 2) } }
		{ t[$1] = t[$1] " " $2; if (!($1 in seen)) { seen[$1] = 1; order[++n] = $1 } }
		END {
			for (i = 1; i <= n; i++) {
				k = split(substr(t[order[i]], 2), v, " ")
				for (a = 1; a <= k; a++) for (b = a + 1; b <= k; b++) if (v[b] < v[a]) { x = v[a]; v[a] = v[b]; v[b] = x }
				m[order[i]] = v[int((k + 1) / 2)] / 1000
			}
			for (i = 1; i <= n; i++) {
				r = ""
				if (order[i] != "s_client" && m["s_client"] > 0) r = sprintf("%.2fx s_client", m[order[i]] / m["s_client"])
				printf "  %-34s %8.1f ms  %-14s %s\n", order[i], m[order[i]], r, c[order[i]]
			}
		}' "$dir/times"
	: >"$dir/conns"
}

# 1. Local, no latency.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=localhost \
	-addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null
port=$(free_port)
openssl s_server -accept "127.0.0.1:$port" -cert "$dir/cert.pem" -key "$dir/key.pem" -www -quiet >/dev/null 2>&1 &
pids+=($!)
wait_port "$port"
td="$dir/tlsdoctor localhost:$port --connect-to 127.0.0.1 -q"
bench "local s_server (TLS 1.3, P-256), no latency" "" \
	"s_client=openssl s_client -connect 127.0.0.1:$port -servername localhost" \
	"tlsdoctor-default=$td" \
	"tlsdoctor-revocation-off=$td --revocation off"

# 2. Through the latency proxy, with an OCSP responder behind it too.
rport=$(free_port)
proxy ocsp "$rport"
ocsp_url="http://$PROXY"
(
	cd "$dir"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=Bench Root" -keyout root.key -out root.pem \
		-addext basicConstraints=critical,CA:true -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=Bench Intermediate" -keyout int.key -out int.csr 2>/dev/null
	printf 'basicConstraints=critical,CA:true\nkeyUsage=critical,keyCertSign,cRLSign\n' >int.ext
	openssl x509 -req -in int.csr -CA root.pem -CAkey root.key -CAcreateserial -days 2 -extfile int.ext -out int.pem 2>/dev/null
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost -keyout leaf.key -out leaf.csr 2>/dev/null
	printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nauthorityInfoAccess=OCSP;URI:%s\nextendedKeyUsage=serverAuth\n' "$ocsp_url" >leaf.ext
	openssl x509 -req -in leaf.csr -CA int.pem -CAkey int.key -CAcreateserial -days 2 -extfile leaf.ext -out leaf.pem 2>/dev/null
	serial=$(openssl x509 -in leaf.pem -noout -serial | cut -d= -f2)
	exp=$(date -u -d "$(openssl x509 -in leaf.pem -noout -enddate | cut -d= -f2)" +%y%m%d%H%M%SZ)
	printf 'V\t%s\t\t%s\tunknown\t/CN=localhost\n' "$exp" "$serial" >index.txt
)
openssl ocsp -index "$dir/index.txt" -port "$rport" -rsigner "$dir/int.pem" -rkey "$dir/int.key" -CA "$dir/int.pem" -ignore_err >/dev/null 2>&1 &
pids+=($!)
wait_listen "$rport"
sport=$(free_port)
openssl s_server -accept "127.0.0.1:$sport" -cert "$dir/leaf.pem" -key "$dir/leaf.key" -cert_chain "$dir/int.pem" -www -quiet >/dev/null 2>&1 &
pids+=($!)
wait_port "$sport"
proxy server "$sport"
pport=${PROXY##*:}
td="$dir/tlsdoctor localhost:$pport --connect-to 127.0.0.1 -q"
bench "s_server behind the latency proxy ($DELAY each way, CONNECT=$CONNECT), OCSP responder behind it too" "server ocsp" \
	"s_client=openssl s_client -connect 127.0.0.1:$pport -servername localhost" \
	"tlsdoctor-revocation-full=$td" \
	"tlsdoctor-revocation-off=$td --revocation off" \
	"tlsdoctor-off-no-sni-check=$td --revocation off --no-sni-check"

# 3. The same chain on nginx behind the proxy: a server that serves
# connections in parallel, as production servers do (s_server serves one
# at a time, so there the check without SNI waits for the primary
# handshake's connection to close: one more round trip).
if command -v nginx >/dev/null; then
	nport=$(free_port)
	mkdir -p "$dir/nginx/logs"
	cat "$dir/leaf.pem" "$dir/int.pem" >"$dir/fullchain.pem"
	cat >"$dir/nginx/nginx.conf" <<CONF
worker_processes 2;
pid $dir/nginx/nginx.pid;
error_log $dir/nginx/logs/error.log crit;
events { worker_connections 256; }
http {
	access_log off;
	client_body_temp_path $dir/nginx; proxy_temp_path $dir/nginx; fastcgi_temp_path $dir/nginx; uwsgi_temp_path $dir/nginx; scgi_temp_path $dir/nginx;
	server {
		listen 127.0.0.1:$nport ssl;
		ssl_certificate $dir/fullchain.pem;
		ssl_certificate_key $dir/leaf.key;
		ssl_protocols TLSv1.2 TLSv1.3;
		return 200 "ok";
	}
}
CONF
	nginx -p "$dir/nginx" -c "$dir/nginx/nginx.conf" -g 'daemon off;' 2>/dev/null &
	pids+=($!)
	wait_port "$nport"
	proxy nginx "$nport"
	nxport=${PROXY##*:}
	td="$dir/tlsdoctor localhost:$nxport --connect-to 127.0.0.1 -q"
	bench "nginx behind the latency proxy ($DELAY each way, CONNECT=$CONNECT), OCSP responder behind it too" "nginx ocsp" \
		"s_client=openssl s_client -connect 127.0.0.1:$nxport -servername localhost" \
		"tlsdoctor-revocation-full=$td" \
		"tlsdoctor-revocation-off=$td --revocation off" \
		"tlsdoctor-off-no-sni-check=$td --revocation off --no-sni-check"
else
	echo "nginx not installed (apt-get install -y nginx): the nginx case is skipped" >&2
fi
