#!/usr/bin/env bash
# Load test of a real Latchkey binary on loopback (docs/PERFORMANCE.md):
#   - time to ready (first start on an empty SQLite database, and a restart),
#   - idle RSS,
#   - wrk throughput of POST /graphql { __typename } anonymously and with a
#     bearer token (SPEC: authenticated >= 85 % of anonymous), and of
#     GET /auth/verify.
#
# Usage: scripts/load.sh            (about 40 s with the defaults)
#        MODE=mixed scripts/load.sh (about 75 s: SQLite under mixed load)
# MODE=mixed instead runs scripts/mixedload against a fresh SQLite server:
# RATE req/s (default 1000) for MIXED_DURATION (default 60s), 80 % GET
# /auth/verify, 15 % token lists, 5 % mutations, open loop; it reports
# errors, p50/p90/p99 per class, and peak RSS, goroutines and open file
# descriptors (from /metrics, sampled every second), and fails on any error.
# Settings (environment):
#   DURATION=10s      each wrk run
#   THREADS=1         wrk threads
#   CONNECTIONS=16    wrk connections
#   ROUNDS=1          how many anonymous/bearer pairs to run (alternating)
#   PORT=18473        loopback port for the server
#   LOAD_LOG_LEVEL=info  LATCHKEY_LOG_LEVEL of the server (logs go to a file)
# Needs go, curl and wrk (installed with apt-get when missing, as root).
# Traffic goes to 127.0.0.1 only; every wait is bounded; the server it
# starts is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION="${DURATION:-10s}"
THREADS="${THREADS:-1}"
CONNECTIONS="${CONNECTIONS:-16}"
ROUNDS="${ROUNDS:-1}"
PORT="${PORT:-18473}"
LOAD_LOG_LEVEL="${LOAD_LOG_LEVEL:-info}"
MODE="${MODE:-throughput}"
RATE="${RATE:-1000}"
MIXED_DURATION="${MIXED_DURATION:-60s}"
ADDR="127.0.0.1:${PORT}"
BASE="http://${ADDR}"
BOOTSTRAP="lk-load-test-bootstrap-secret-0123456789abcdef"

if ! command -v wrk >/dev/null 2>&1; then
  echo "wrk not found: installing it with apt-get" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null 2>&1 ||
    { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
fi
for tool in go curl wrk; do
  command -v "$tool" >/dev/null 2>&1 || { echo "load.sh needs $tool" >&2; exit 1; }
done
if curl -s -o /dev/null --max-time 1 "${BASE}/healthz"; then
  echo "something already answers on ${ADDR}: set PORT" >&2
  exit 1
fi

WORK="$(mktemp -d)"
PID=""
stop_server() {
  if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
    kill -TERM "$PID" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$PID" 2>/dev/null || true
    wait "$PID" 2>/dev/null || true
  fi
  PID=""
}
cleanup() { stop_server; rm -rf "$WORK"; }
trap cleanup EXIT INT TERM

echo "== building"
go build -o "$WORK/latchkey" .
echo "   $(go version), $(nproc) cores, $(uname -m)"

now_ns() { date +%s%N; }

# start_server: runs the binary in the background (PID) and sets READY_MS to
# the milliseconds from exec to the first 200 of /readyz.
start_server() {
  local t0 t1
  t0=$(now_ns)
  LATCHKEY_ADDR="$ADDR" \
    LATCHKEY_DATABASE_URL="sqlite://$WORK/latchkey.db" \
    LATCHKEY_BOOTSTRAP_TOKEN="$BOOTSTRAP" \
    LATCHKEY_LOG_LEVEL="$LOAD_LOG_LEVEL" \
    LATCHKEY_LOG_FORMAT=json \
    "$WORK/latchkey" serve >>"$WORK/server.log" 2>&1 &
  PID=$!
  for _ in $(seq 1 2000); do # at most ~10 s
    if curl -s -o /dev/null -w '%{http_code}' --max-time 1 "${BASE}/readyz" 2>/dev/null | grep -q '^200$'; then
      t1=$(now_ns)
      READY_MS=$(((t1 - t0) / 1000000))
      return 0
    fi
    kill -0 "$PID" 2>/dev/null || { echo "the server exited:" >&2; tail -20 "$WORK/server.log" >&2; return 1; }
    sleep 0.005
  done
  echo "the server was not ready within 10 s" >&2
  tail -20 "$WORK/server.log" >&2
  return 1
}

if [ "$MODE" = mixed ]; then
  go build -o "$WORK/mixedload" ./scripts/mixedload
  start_server
  echo "== SQLite under mixed load (ready in ${READY_MS} ms; load average before: $(cut -d' ' -f1-3 /proc/loadavg))"
  secs=$(awk -v d="$MIXED_DURATION" 'BEGIN {sub(/s$/, "", d); print int(d)}')
  status=0
  timeout $((secs + 120)) "$WORK/mixedload" -url "$BASE" -admin "$BOOTSTRAP" -rate "$RATE" -duration "$MIXED_DURATION" || status=$?
  printf '   SQLite file descriptors held by the server after the load: %s\n' \
    "$(find "/proc/$PID/fd" -lname "$WORK/latchkey.db*" 2>/dev/null | wc -l)"
  printf '   server log lines at error level: %s\n' "$(grep -c '"level":"error"' "$WORK/server.log" || true)"
  grep '"level":"\(error\|warn\)"' "$WORK/server.log" | cut -c1-300 | head -5 | sed 's/^/     /' || true
  printf '   load average after: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
  exit $status
fi

rss_mb() { awk '{printf "%.1f", $1 / 1024}' < <(ps -o rss= -p "$PID"); }

echo "== time to ready (exec until GET /readyz answers 200)"
start_server
READY_FIRST=$READY_MS
echo "   first start, empty database (migrate + seed): ${READY_FIRST} ms"
sleep 2
RSS_IDLE_FIRST=$(rss_mb)
stop_server
start_server
READY_RESTART=$READY_MS
echo "   restart on the existing database:             ${READY_RESTART} ms"
sleep 3
RSS_IDLE=$(rss_mb)
echo "== idle RSS (3 s after ready): ${RSS_IDLE} MB (after the first start: ${RSS_IDLE_FIRST} MB)"

gql() { # gql BEARER JSON-BODY
  curl -sS --max-time 10 -H 'Content-Type: application/json' -H "Authorization: Bearer $1" -d "$2" "${BASE}/graphql"
}
CREATED=$(gql "$BOOTSTRAP" '{"query":"mutation { createAPIToken(input: {name: \"load test\", type: CUSTOM, permissions: [{contentType: \"api-token\", action: \"read\"}]}) { secret } }"}')
TOKEN=$(printf '%s' "$CREATED" | sed -n 's/.*"secret":"\([^"]*\)".*/\1/p')
if [ -z "$TOKEN" ]; then
  echo "creating a token failed: $CREATED" >&2
  exit 1
fi
# Sanity: both variants answer the query, the token verifies.
[ "$(curl -s --max-time 5 -H 'Content-Type: application/json' -d '{"query":"{ __typename }"}' "${BASE}/graphql")" = '{"data":{"__typename":"Query"}}' ] ||
  { echo "anonymous { __typename } does not answer as expected" >&2; exit 1; }
[ "$(gql "$TOKEN" '{"query":"{ __typename }"}')" = '{"data":{"__typename":"Query"}}' ] ||
  { echo "authenticated { __typename } does not answer as expected" >&2; exit 1; }
[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H "Authorization: Bearer $TOKEN" "${BASE}/auth/verify?contentType=api-token&action=read")" = 200 ] ||
  { echo "GET /auth/verify does not answer 200" >&2; exit 1; }

cat >"$WORK/post.lua" <<'EOF'
wrk.method = "POST"
wrk.body = '{"query":"{ __typename }"}'
wrk.headers["Content-Type"] = "application/json"
EOF

# run_wrk NAME ARGS...: runs wrk, prints its rate and sets RPS; fails on
# socket errors or non-2xx answers.
run_wrk() {
  local name=$1 out lat file
  shift
  out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --timeout 5s "$@")
  file="$WORK/wrk-$(printf '%s' "$name" | tr -c 'A-Za-z0-9' '_').txt"
  printf '%s\n' "$out" >"$file"
  if grep -qE 'Non-2xx|Socket errors' <<<"$out"; then
    echo "$name: wrk saw errors:" >&2
    printf '%s\n' "$out" >&2
    exit 1
  fi
  RPS=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  lat=$(awk '$1 == "Latency" {print $2; exit}' <<<"$out")
  printf '   %-34s %10s req/s   (mean latency %s)\n' "$name" "$RPS" "$lat"
}

echo "== wrk -t$THREADS -c$CONNECTIONS -d$DURATION (server and wrk share the machine)"
ANON_SUM=0
AUTH_SUM=0
for r in $(seq 1 "$ROUNDS"); do
  run_wrk "anonymous POST /graphql #$r" -s "$WORK/post.lua" "${BASE}/graphql"
  ANON_SUM=$(awk -v s="$ANON_SUM" -v x="$RPS" 'BEGIN {print s + x}')
  run_wrk "bearer POST /graphql #$r" -s "$WORK/post.lua" -H "Authorization: Bearer $TOKEN" "${BASE}/graphql"
  AUTH_SUM=$(awk -v s="$AUTH_SUM" -v x="$RPS" 'BEGIN {print s + x}')
done
run_wrk "GET /auth/verify" -H "Authorization: Bearer $TOKEN" "${BASE}/auth/verify?contentType=api-token&action=read"
VERIFY=$RPS
sleep 5
RSS_AFTER=$(rss_mb)

RATIO=$(awk -v a="$ANON_SUM" -v b="$AUTH_SUM" 'BEGIN {printf "%.1f", 100 * b / a}')
echo "== summary"
printf '   ready: first start %s ms, restart %s ms (target <= 1000 ms)\n' "$READY_FIRST" "$READY_RESTART"
printf '   idle RSS: %s MB; 5 s after the load: %s MB (target <= 50 MB idle)\n' "$RSS_IDLE" "$RSS_AFTER"
printf '   anonymous { __typename }: %s req/s\n' "$(awk -v s="$ANON_SUM" -v n="$ROUNDS" 'BEGIN {printf "%.0f", s / n}')"
printf '   bearer    { __typename }: %s req/s\n' "$(awk -v s="$AUTH_SUM" -v n="$ROUNDS" 'BEGIN {printf "%.0f", s / n}')"
printf '   bearer / anonymous: %s %% (target >= 85 %%)\n' "$RATIO"
printf '   GET /auth/verify: %s req/s\n' "$VERIFY"
