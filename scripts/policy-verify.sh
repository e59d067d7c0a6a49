#!/usr/bin/env bash
# Issue 9's throughput figure: GET /auth/verify with wrk over loopback for a
# token without a policy and for one with two rate limits (never reached),
# credits (never exhausted) and a CIDR list, alternating ROUNDS times in one
# run of one binary on SQLite, so that both see the same machine.
#
# Usage: scripts/policy-verify.sh   (about 2 min with the defaults)
# Settings: DURATION=10s ROUNDS=3 CONNECTIONS=32 THREADS=2 PORT=18493
# Needs go, curl and wrk. Traffic stays on 127.0.0.1; the server it starts
# is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION="${DURATION:-10s}"
ROUNDS="${ROUNDS:-3}"
CONNECTIONS="${CONNECTIONS:-32}"
THREADS="${THREADS:-2}"
PORT="${PORT:-18493}"
BASE="http://127.0.0.1:${PORT}"
BOOTSTRAP="lk-policy-load-bootstrap-secret-0123456789ab"

for tool in go curl wrk; do
  command -v "$tool" >/dev/null 2>&1 || { echo "policy-verify.sh needs $tool" >&2; exit 1; }
done
WORK="$(mktemp -d)"
PID=""
cleanup() {
  if [ -n "$PID" ]; then kill -TERM "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

go build -o "$WORK/latchkey" .
LATCHKEY_ADDR="127.0.0.1:${PORT}" LATCHKEY_DATABASE_URL="sqlite://$WORK/lk.db" \
  LATCHKEY_BOOTSTRAP_TOKEN="$BOOTSTRAP" LATCHKEY_LOG_LEVEL=warn \
  "$WORK/latchkey" serve >"$WORK/server.log" 2>&1 &
PID=$!
for _ in $(seq 1 200); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "${BASE}/readyz")" = 200 ] && break
  sleep 0.05
done

mint() { # mint NAME EXTRA-INPUT: prints the secret of a new CUSTOM token
  curl -s --max-time 10 "${BASE}/graphql" -H "Authorization: Bearer ${BOOTSTRAP}" -H 'Content-Type: application/json' \
    -d "{\"query\":\"mutation { createAPIToken(input: {name: \\\"$1\\\", type: CUSTOM, permissions: [{contentType: \\\"api-token\\\", action: \\\"read\\\"}] $2}) { secret } }\"}" |
    sed -n 's/.*"secret":"\([^"]*\)".*/\1/p'
}
PLAIN=$(mint plain "")
POLICY=$(mint policy ', rateLimits: [{name: \"burst\", limit: 100000000, periodSeconds: 1}, {name: \"hourly\", limit: 1000000000, periodSeconds: 3600}], credits: {remaining: 1000000000}, allowedNetworks: [\"10.0.0.0/8\", \"127.0.0.0/8\", \"192.168.0.0/16\", \"::1/128\"]')
[ -n "$PLAIN" ] && [ -n "$POLICY" ] || { echo "could not mint the tokens" >&2; tail -5 "$WORK/server.log" >&2; exit 1; }

run() { # run SECRET: prints wrk's requests per second
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" -H "Authorization: Bearer $1" \
    "${BASE}/auth/verify?contentType=api-token&action=read" | awk '/Requests\/sec/ {print $2}'
}
run "$PLAIN" >/dev/null # warm-up
echo "round  no-policy req/s  policy req/s  ratio"
ratios=()
for r in $(seq 1 "$ROUNDS"); do
  a=$(run "$PLAIN")
  b=$(run "$POLICY")
  ratio=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f", b / a }')
  ratios+=("$ratio")
  echo "$r  $a  $b  $ratio"
done
printf '%s\n' "${ratios[@]}" | sort -n | awk '{ v[NR] = $1; s += $1 } END {
  m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
  printf "ratio: median %.3f, mean %.3f over %d rounds\n", m, s / NR, NR }'
codes=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $POLICY" "${BASE}/auth/verify?contentType=api-token&action=read")
echo "policy token still allowed after the runs: HTTP $codes"
