#!/usr/bin/env bash
# Time a default `tlsdoctor HOST` run against `openssl s_client -connect HOST
# </dev/null` on the same local openssl s_server, N runs each (process start
# included for both). Target: tlsdoctor within 1.3x of s_client.
set -euo pipefail
N=${N:-30}
cd "$(dirname "$0")/.."
[ -x ./tlsdoctor ] || make -s build
dir=$(mktemp -d)
trap 'kill $srv 2>/dev/null || true; rm -rf "$dir"' EXIT

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=localhost \
  -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null
port=${PORT:-$((20000 + RANDOM % 20000))}
openssl s_server -accept "127.0.0.1:$port" -cert "$dir/cert.pem" -key "$dir/key.pem" -www -quiet &
srv=$!
for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done

ms_now() { date +%s%N; }
time_n() { # label, command...
  local t0 t1
  t0=$(ms_now)
  for _ in $(seq "$N"); do "$@" >/dev/null 2>&1 </dev/null || true; done
  t1=$(ms_now)
  echo $(( (t1 - t0) / N / 1000 ))  # microseconds per run
}
# warm up both
./tlsdoctor "localhost:$port" --connect-to 127.0.0.1 --ca-file "$dir/cert.pem" -q >/dev/null 2>&1 || true
openssl s_client -connect "127.0.0.1:$port" </dev/null >/dev/null 2>&1 || true

# The default run: system roots (so it reports untrusted-root here; the
# timing is what this measures), one handshake.
td=$(time_n ./tlsdoctor "localhost:$port" --connect-to 127.0.0.1 -q)
os=$(time_n openssl s_client -connect "127.0.0.1:$port" -servername localhost)
printf 'default run, %d runs each, local openssl s_server (TLS 1.3):\n' "$N"
awk -v td="$td" -v os="$os" 'BEGIN {
  printf "  tlsdoctor HOST                             %6.2f ms/run\n", td/1000
  printf "  openssl s_client -connect HOST </dev/null  %6.2f ms/run\n", os/1000
  printf "  ratio tlsdoctor / s_client                 %6.2f (target <= 1.3)\n", td/os
}' 
