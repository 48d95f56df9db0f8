#!/usr/bin/env bash
# Reload under load: while wrk drives botguard (a file loader with a short TTL) under a real uvicorn
# on 127.0.0.1, rewrite the rules file REWRITES times, valid and invalid versions alternating
# (bad TOML, a bad regex, a half-written file). Every answer must be 200 or 403, the rules of the
# last valid version must be in force at the end, and the server's RSS must stay flat.
#
#   benchmarks/reload_under_load.sh [REWRITES] [TTL]      # defaults: 100 rewrites, TTL 0.05 s
set -euo pipefail
cd "$(dirname "$0")/.."
REWRITES=${1:-100}
TTL=${2:-0.05}
PY=${PYTHON:-.venv/bin/python}
PORT=18084
command -v wrk >/dev/null || { echo "wrk not found: apt-get install wrk" >&2; exit 2; }
work=$(mktemp -d)
rules="$work/rules.toml"
printf 'deny = ["(?i)version-0"]\n' > "$rules"

BOTGUARD_RULES="$rules" BOTGUARD_TTL="$TTL" "$PY" -m uvicorn benchmarks.load_apps:guarded \
  --host 127.0.0.1 --port $PORT --log-level warning --no-access-log 2> "$work/server.log" &
server=$!
trap 'kill $server 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$PORT/" && break; sleep 0.1; done
rss() { awk '/VmRSS/ {print $2}' "/proc/$server/status"; }

# Warm up, then measure RSS while wrk runs for the whole rewrite loop.
wrk -t1 -c16 -d3s -s benchmarks/unique_ua.lua "http://127.0.0.1:$PORT/" > /dev/null
before=$(rss)
duration=$(awk -v n="$REWRITES" -v t="$TTL" 'BEGIN {d = n * (t * 2 + 0.02) + 3; printf "%d", (d < 5 ? 5 : d)}')
wrk -t1 -c16 -d"${duration}s" -s benchmarks/unique_ua.lua "http://127.0.0.1:$PORT/" > "$work/wrk.log" &
load=$!
sleep 1
last_valid=0
for i in $(seq 1 "$REWRITES"); do
  case $((i % 4)) in
    0) printf 'deny = ["(?i)version-%d"]\n' "$i" > "$rules.tmp" && mv "$rules.tmp" "$rules"; last_valid=$i ;;
    1) printf 'deny = ["(unclosed"]\n' > "$rules" ;;                    # a bad regex
    2) printf 'deny = ["(?i)version-%d"' "$i" > "$rules" ;;              # half-written: bad TOML
    3) printf 'deny = ["(?i)version-%d"]\n' "$i" > "$rules"; last_valid=$i ;;
  esac
  sleep "$(awk -v t="$TTL" 'BEGIN {print t * 2 + 0.02}')"
done
printf 'deny = ["(?i)version-final"]\n' > "$rules"
wait $load
after=$(rss)
sleep "$(awk -v t="$TTL" 'BEGIN {print t * 3}')"
browser="Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"
final=$(curl -s -o /dev/null -w '%{http_code}' -A "$browser version-final" "http://127.0.0.1:$PORT/")
older=$(curl -s -o /dev/null -w '%{http_code}' -A "$browser version-$last_valid" "http://127.0.0.1:$PORT/")
cat "$work/wrk.log" | grep -E "requests in|Requests/sec|unexpected statuses|Socket errors" || true
echo "failed reloads logged (one warning each, the last good config kept): $(grep -c 'reload failed' "$work/server.log" || true)"
echo "reloads that changed the rules: $(grep -c 'config reloaded' "$work/server.log" || true)"
echo "final rules in force: version-final -> $final (want 403), version-$last_valid -> $older (want 200)"
echo "RSS before the rewrites: $before KiB, after: $after KiB"
grep -q "unexpected statuses: 0" "$work/wrk.log" && [ "$final" = 403 ] && [ "$older" = 200 ] && ! grep -q "Socket errors" "$work/wrk.log"
