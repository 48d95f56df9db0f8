#!/usr/bin/env bash
# Soak: at least TOTAL requests (default one million) with a few thousand distinct User-Agents
# through botguard under a real uvicorn on 127.0.0.1, in wrk segments; prints the server's RSS
# after the warm-up segment and after each segment, so growth beyond the LRU bound would show.
#
#   benchmarks/soak.sh [TOTAL] [DISTINCT]      # defaults: 1000000 requests, 3000 User-Agents
set -euo pipefail
cd "$(dirname "$0")/.."
TOTAL=${1:-1000000}
export SOAK_DISTINCT=${2:-3000}
PY=${PYTHON:-.venv/bin/python}
PORT=18083
command -v wrk >/dev/null || { echo "wrk not found: apt-get install wrk" >&2; exit 2; }

"$PY" -m uvicorn benchmarks.load_apps:guarded --host 127.0.0.1 --port $PORT --log-level warning --no-access-log &
server=$!
segment_log=$(mktemp)
trap 'kill $server 2>/dev/null || true; wait 2>/dev/null || true; rm -f "$segment_log"' EXIT
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$PORT/" && break; sleep 0.1; done

rss() { awk '/VmRSS/ {print $2}' "/proc/$server/status"; }
segment() {  # seconds -> requests served
  wrk -t1 -c32 -d"$1s" -s benchmarks/soak_ua.lua "http://127.0.0.1:$PORT/" | tee "$segment_log" |
    awk '/requests in/ {print $1}'
}
echo "RSS at start: $(rss) KiB"
done_requests=$(segment 10)
warm=$(rss)
echo "after warm-up ($done_requests requests): RSS $warm KiB"
while (( done_requests < TOTAL )); do
  n=$(segment 30)
  done_requests=$((done_requests + n))
  grep -q "unexpected statuses: 0" "$segment_log" || { echo "unexpected statuses:"; cat "$segment_log"; exit 1; }
  echo "after $done_requests requests: RSS $(rss) KiB"
done
end=$(rss)
echo "RSS after warm-up: $warm KiB; at the end: $end KiB; growth: $((end - warm)) KiB over $done_requests requests"
