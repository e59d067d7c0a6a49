#!/usr/bin/env bash
# Load test of a real Latchkey binary on loopback (docs/PERFORMANCE.md):
#   - time to ready (first start on an empty SQLite database, and a restart),
#   - idle RSS,
#   - wrk throughput of POST /graphql { __typename } anonymously and with a
#     bearer token (SPEC: authenticated >= 85 % of anonymous), and of
#     GET /auth/verify,
#   - issue 12: an authenticated viewer query and GET /auth/verify, each
#     against a bare net/http handler (built here) that answers a body of
#     the same size, alternating in the same run; the token list
#     apiTokens(first: 10) with its p99 and the server's CPU time per
#     request; RSS after LOAD_RSS_SECONDS of load.
#
# Usage: scripts/load.sh            (about 3 min with the defaults)
#        MODE=mixed scripts/load.sh (about 75 s: SQLite under mixed load)
# MODE=mixed instead runs scripts/mixedload against a fresh SQLite server:
# RATE req/s (default 1000) for MIXED_DURATION (default 60s), 80 % GET
# /auth/verify, 15 % token lists, 5 % mutations, open loop; it reports
# errors, p50/p90/p99 per class, and peak RSS, goroutines and open file
# descriptors (from /metrics, sampled every second), and fails on any error.
#        MYSQL_URL=mysql://root@127.0.0.1:3306/ scripts/load.sh
#                                   (the server on MariaDB/MySQL: a database
#                                   of its own is created and dropped)
# Settings (environment):
#   DURATION=10s      each wrk run
#   THREADS=1         wrk threads
#   CONNECTIONS=16    wrk connections
#   ROUNDS=1          how many anonymous/bearer pairs to run (alternating)
#   PORT=18473        loopback port for the server
#   LOAD_LOG_LEVEL=info  LATCHKEY_LOG_LEVEL of the server (logs go to a file)
#   LIST_CONNECTIONS=32  wrk connections for the token list (issue 12)
#   LOAD_RSS_SECONDS=60  load before the last RSS reading
#   MYSQL_URL=        serve from a new database on this server instead of SQLite
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
LIST_CONNECTIONS="${LIST_CONNECTIONS:-32}"
LOAD_RSS_SECONDS="${LOAD_RSS_SECONDS:-60}"
MYSQL_URL="${MYSQL_URL:-}"
BARE_PORT=$((PORT + 1))
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
BARE_PID=""
MYSQL_DB=""
DB_URL="sqlite://$WORK/latchkey.db"
PEPPER=""
mysql_exec() { # mysql_exec SQL: runs SQL on MYSQL_URL's server with the mysql client
  local hostport=${MYSQL_URL#mysql://}
  local cred=${hostport%%@*}
  hostport=${hostport#*@}
  hostport=${hostport%%/*}
  mysql -u"${cred%%:*}" $([ "${cred#*:}" != "$cred" ] && printf -- '-p%s' "${cred#*:}") \
    -h"${hostport%%:*}" -P"${hostport##*:}" -e "$1"
}
if [ -n "$MYSQL_URL" ]; then
  command -v mysql >/dev/null 2>&1 || { echo "MYSQL_URL needs the mysql client" >&2; exit 1; }
  MYSQL_DB="latchkey_load_$(date +%s)_$$"
  mysql_exec "CREATE DATABASE $MYSQL_DB CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
  DB_URL="${MYSQL_URL%/}/$MYSQL_DB"
  PEPPER="load-test-pepper-0123456789abcdef"
fi
stop_bare() {
  if [ -n "$BARE_PID" ]; then
    kill -TERM "$BARE_PID" 2>/dev/null || true
    wait "$BARE_PID" 2>/dev/null || true
  fi
  BARE_PID=""
}
stop_server() {
  if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
    kill -TERM "$PID" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$PID" 2>/dev/null || true
    wait "$PID" 2>/dev/null || true
  fi
  PID=""
}
cleanup() {
  stop_server
  stop_bare
  if [ -n "$MYSQL_DB" ]; then mysql_exec "DROP DATABASE IF EXISTS $MYSQL_DB" || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

echo "== building"
go build -o "$WORK/latchkey" .
# The bare handler of issue 12: Go's net/http answering BARE_BYTES bytes of
# JSON, nothing else; the ceiling Latchkey is compared with.
mkdir -p "$WORK/bare"
cat >"$WORK/bare/main.go" <<'EOF_GO'
package main

import (
	"bytes"
	"net/http"
	"os"
	"strconv"
)

func main() {
	n, _ := strconv.Atoi(os.Args[2])
	body := append(append([]byte(`{"data":"`), bytes.Repeat([]byte("x"), max(n-11, 0))...), `"}`...)
	_ = http.ListenAndServe(os.Args[1], http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		_, _ = w.Write(body)
	}))
}
EOF_GO
printf 'module bare\n\ngo 1.22\n' >"$WORK/bare/go.mod"
(cd "$WORK/bare" && go build -o "$WORK/bare-server" .)
echo "   $(go version), $(nproc) cores, $(uname -m)"

now_ns() { date +%s%N; }

# start_server: runs the binary in the background (PID) and sets READY_MS to
# the milliseconds from exec to the first 200 of /readyz.
start_server() {
  local t0 t1
  t0=$(now_ns)
  LATCHKEY_ADDR="$ADDR" \
    LATCHKEY_DATABASE_URL="$DB_URL" \
    LATCHKEY_TOKEN_PEPPER="$PEPPER" \
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
# cpu_ticks: the server's user + system CPU time so far, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$PID/stat"; }
TICK=$(getconf CLK_TCK)

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

# Issue 12. Tokens for the list to page through (30, each with a description).
for i in $(seq -w 1 30); do
  gql "$BOOTSTRAP" "{\"query\":\"mutation { createAPIToken(input: {name: \\\"load list $i\\\", description: \\\"token number $i of the list\\\", type: READ_ONLY}) { apiToken { id } } }\"}" >/dev/null
done
VIEWER_QUERY='{ viewer { apiToken { name } persona { name } } }'
LIST_QUERY='{ apiTokens(first: 10) { totalCount edges { node { name description } } } }'
VIEWER_ANSWER=$(gql "$TOKEN" "{\"query\":\"$VIEWER_QUERY\"}")
LIST_ANSWER=$(gql "$TOKEN" "{\"query\":\"$LIST_QUERY\"}")
grep -q '"persona":{"name":' <<<"$VIEWER_ANSWER" || { echo "viewer answers $VIEWER_ANSWER" >&2; exit 1; }
grep -q '"totalCount":32' <<<"$LIST_ANSWER" || { echo "the list answers $LIST_ANSWER" >&2; exit 1; }
VIEWER_BYTES=$(curl -s -o /dev/null -w '%{size_download}' --max-time 5 -H 'Content-Type: application/json' -H "Authorization: Bearer $TOKEN" -d "{\"query\":\"$VIEWER_QUERY\"}" "${BASE}/graphql")
"$WORK/bare-server" "127.0.0.1:${BARE_PORT}" "$VIEWER_BYTES" &
BARE_PID=$!
for _ in $(seq 1 200); do curl -s -o /dev/null --max-time 1 "http://127.0.0.1:${BARE_PORT}/" && break; sleep 0.05; done
[ "$(curl -s -o /dev/null -w '%{size_download}' "http://127.0.0.1:${BARE_PORT}/")" = "$VIEWER_BYTES" ] ||
  { echo "the bare handler does not answer $VIEWER_BYTES bytes" >&2; exit 1; }
printf 'wrk.method = "POST"\nwrk.body = %s\nwrk.headers["Content-Type"] = "application/json"\n' \
  "'{\"query\":\"$VIEWER_QUERY\"}'" >"$WORK/viewer.lua"
printf 'wrk.method = "POST"\nwrk.body = %s\nwrk.headers["Content-Type"] = "application/json"\n' \
  "'{\"query\":\"$LIST_QUERY\"}'" >"$WORK/list.lua"

echo "== issue 12: against a bare net/http handler answering ${VIEWER_BYTES} bytes (alternating)"
BARE_SUM=0
VIEWER_SUM=0
VERIFY_SUM=0
for r in $(seq 1 "$ROUNDS"); do
  run_wrk "bare handler #$r" "http://127.0.0.1:${BARE_PORT}/"
  BARE_SUM=$(awk -v s="$BARE_SUM" -v x="$RPS" 'BEGIN {print s + x}')
  run_wrk "viewer query #$r" -s "$WORK/viewer.lua" -H "Authorization: Bearer $TOKEN" "${BASE}/graphql"
  VIEWER_SUM=$(awk -v s="$VIEWER_SUM" -v x="$RPS" 'BEGIN {print s + x}')
  run_wrk "GET /auth/verify (cached) #$r" -H "Authorization: Bearer $TOKEN" "${BASE}/auth/verify?contentType=api-token&action=read"
  VERIFY_SUM=$(awk -v s="$VERIFY_SUM" -v x="$RPS" 'BEGIN {print s + x}')
done
stop_bare

echo "== issue 12: token list, wrk -t2 -c${LIST_CONNECTIONS} (p99 and the server's CPU per request)"
C0=$(cpu_ticks)
out=$(wrk -t2 -c"$LIST_CONNECTIONS" -d"$DURATION" --timeout 5s --latency -s "$WORK/list.lua" -H "Authorization: Bearer $TOKEN" "${BASE}/graphql")
C1=$(cpu_ticks)
if grep -qE 'Non-2xx|Socket errors' <<<"$out"; then echo "list: wrk saw errors:" >&2; printf '%s\n' "$out" >&2; exit 1; fi
LIST_RPS=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
LIST_REQS=$(awk '/requests in/ {print $1}' <<<"$out")
LIST_P99=$(awk '$1 == "99%" {print $2}' <<<"$out")
LIST_CPU_US=$(awk -v c="$((C1 - C0))" -v t="$TICK" -v n="$LIST_REQS" 'BEGIN {printf "%.0f", c / t * 1e6 / n}')
printf '   %-34s %10s req/s   p99 %s   %s µs of server CPU per request\n' "token list" "$LIST_RPS" "$LIST_P99" "$LIST_CPU_US"

echo "== RSS after ${LOAD_RSS_SECONDS} s of load (viewer, list and verify by turns)"
third=$((LOAD_RSS_SECONDS / 3))
wrk -t1 -c"$CONNECTIONS" -d"${third}s" --timeout 5s -s "$WORK/viewer.lua" -H "Authorization: Bearer $TOKEN" "${BASE}/graphql" >/dev/null
wrk -t1 -c"$CONNECTIONS" -d"${third}s" --timeout 5s -s "$WORK/list.lua" -H "Authorization: Bearer $TOKEN" "${BASE}/graphql" >/dev/null
wrk -t1 -c"$CONNECTIONS" -d"$((LOAD_RSS_SECONDS - 2 * third))s" --timeout 5s -H "Authorization: Bearer $TOKEN" "${BASE}/auth/verify?contentType=api-token&action=read" >/dev/null
RSS_LOADED=$(rss_mb)
sleep 5
RSS_AFTER=$(rss_mb)

RATIO=$(awk -v a="$ANON_SUM" -v b="$AUTH_SUM" 'BEGIN {printf "%.1f", 100 * b / a}')
echo "== summary ($([ -n "$MYSQL_URL" ] && echo "MySQL/MariaDB" || echo "SQLite"))"
printf '   ready: first start %s ms, restart %s ms (target <= 1000 ms)\n' "$READY_FIRST" "$READY_RESTART"
printf '   idle RSS: %s MB; right after %s s of load: %s MB, 5 s later: %s MB (targets <= 50 MB idle, <= 45 MB after load)\n' "$RSS_IDLE" "$LOAD_RSS_SECONDS" "$RSS_LOADED" "$RSS_AFTER"
printf '   anonymous { __typename }: %s req/s\n' "$(awk -v s="$ANON_SUM" -v n="$ROUNDS" 'BEGIN {printf "%.0f", s / n}')"
printf '   bearer    { __typename }: %s req/s\n' "$(awk -v s="$AUTH_SUM" -v n="$ROUNDS" 'BEGIN {printf "%.0f", s / n}')"
printf '   bearer / anonymous: %s %% (target >= 85 %%)\n' "$RATIO"
printf '   GET /auth/verify: %s req/s\n' "$VERIFY"
printf '   bare handler (%s bytes): %s req/s\n' "$VIEWER_BYTES" "$(awk -v s="$BARE_SUM" -v n="$ROUNDS" 'BEGIN {printf "%.0f", s / n}')"
printf '   viewer / bare: %s %% (target >= 50 %%)\n' "$(awk -v a="$BARE_SUM" -v b="$VIEWER_SUM" 'BEGIN {printf "%.1f", 100 * b / a}')"
printf '   /auth/verify (cached) / bare: %s %% (target >= 80 %%)\n' "$(awk -v a="$BARE_SUM" -v b="$VERIFY_SUM" 'BEGIN {printf "%.1f", 100 * b / a}')"
printf '   token list: %s req/s, p99 %s (target <= 20 ms), %s µs server CPU per request (target <= 100)\n' "$LIST_RPS" "$LIST_P99" "$LIST_CPU_US"
