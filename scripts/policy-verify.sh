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

# cpu_ticks: the server's user + system CPU time so far, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$PID/stat"; }
TICK=$(getconf CLK_TCK)
run() { # run SECRET: prints wrk's requests per second and the server's CPU µs per request
  local c0 out c1
  c0=$(cpu_ticks)
  out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" -H "Authorization: Bearer $1" \
    "${BASE}/auth/verify?contentType=api-token&action=read")
  c1=$(cpu_ticks)
  awk -v c="$((c1 - c0))" -v tick="$TICK" '/requests in/ {n = $1} /Requests\/sec/ {rps = $2}
    END { printf "%s %.1f\n", rps, c * 1e6 / tick / n }' <<<"$out"
}
run "$PLAIN" >/dev/null # warm-up
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "round  no-policy req/s (CPU µs/req)  policy req/s (CPU µs/req)  throughput ratio  CPU ratio"
ratios=() cpus=()
for r in $(seq 1 "$ROUNDS"); do
  # ABBA: every other round runs the policy token first, so that a drift
  # of the machine over the run does not favour either side.
  if [ $((r % 2)) = 1 ]; then
    read -r a ac <<<"$(run "$PLAIN")"
    read -r b bc <<<"$(run "$POLICY")"
  else
    read -r b bc <<<"$(run "$POLICY")"
    read -r a ac <<<"$(run "$PLAIN")"
  fi
  ratio=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f", b / a }')
  cpu=$(awk -v a="$ac" -v b="$bc" 'BEGIN { printf "%.3f", b / a }')
  ratios+=("$ratio") cpus+=("$cpu")
  echo "$r  $a ($ac)  $b ($bc)  $ratio  $cpu"
done
summary() { # summary WHAT VALUES...: median and mean
  local what=$1
  shift
  printf '%s\n' "$@" | sort -n | awk -v what="$what" '{ v[NR] = $1; s += $1 } END {
    m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf "%s: median %.3f, mean %.3f over %d rounds\n", what, m, s / NR, NR }'
}
summary "policy / no-policy throughput" "${ratios[@]}"
summary "policy / no-policy server CPU per request" "${cpus[@]}"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
codes=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $POLICY" "${BASE}/auth/verify?contentType=api-token&action=read")
echo "policy token still allowed after the runs: HTTP $codes"
