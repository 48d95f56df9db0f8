#!/usr/bin/env bash
# Throughput of a bare Starlette app vs the same app behind botguard, under a real uvicorn on
# 127.0.0.1, driven by wrk in alternation (bare, guarded, bare, guarded, ...) so that both see the
# same machine noise. Four scenarios: (a) one browser User-Agent repeated (cache hits); (b) a new
# User-Agent on every request (every request a miss: the cache-busting attack), in a major browser's
# exact format with a version never seen; (c) the same attack with a phone's full string naming its
# model, with a version never seen (unique_ua.lua with UA_FORM=device: the whole detector decides
# the model once); (d) the same string naming a model never seen, which the whole detector decides
# every time (UA_FORM=model).
#
#   benchmarks/load.sh [ROUNDS] [SECONDS]      # defaults: 5 rounds of 5 s per run
#   STACK=plain benchmarks/load.sh ...         # uvicorn on asyncio and h11 instead of uvloop and
#                                              # httptools (the `uvicorn[standard]` stack, default)
#
# Needs wrk (Debian: apt-get install wrk). Prints requests/s per run, the server's CPU time per
# request (user and kernel, from /proc), and the median ratio guarded/bare per scenario.
# Bounded: ROUNDS x 2 apps x 4 scenarios x SECONDS.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-5}
SECONDS_PER_RUN=${2:-5}
PY=${PYTHON:-.venv/bin/python}
case "${STACK:-standard}" in
  standard) stack_flags="--loop uvloop --http httptools" ;;
  plain) stack_flags="--loop asyncio --http h11" ;;
  *) echo "STACK is standard or plain" >&2; exit 2 ;;
esac
command -v wrk >/dev/null || { echo "wrk not found: apt-get install wrk" >&2; exit 2; }

port_bare=18081
port_guarded=18082
log=$(mktemp)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -f "$log"; }
trap cleanup EXIT

# Pin the servers to one core and wrk to the other, so they do not trade places mid-run.
pin_server=""; pin_client=""
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then pin_server="taskset -c 1"; pin_client="taskset -c 0"; fi

start() {  # app port
  $pin_server "$PY" -m uvicorn "benchmarks.load_apps:$1" --host 127.0.0.1 --port "$2" $stack_flags --log-level warning --no-access-log &
  pids+=($!)
}
start bare $port_bare
start guarded $port_guarded
for port in $port_bare $port_guarded; do
  for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
done

cpu_ticks() {  # pid -> user and kernel CPU ticks so far
  awk '{print $14, $15}' "/proc/$1/stat"
}

run() {  # port pid script -> requests/s, and the server's user and kernel CPU per request in µs
  local before after rate
  before=$(cpu_ticks "$2")
  rate=$($pin_client wrk -t1 -c32 -d"${SECONDS_PER_RUN}s" -s "benchmarks/$3" "http://127.0.0.1:$1/" | tee -a "$log" |
    awk '/Requests\/sec/ {print $2}')
  after=$(cpu_ticks "$2")
  awk -v r="$rate" -v s="$SECONDS_PER_RUN" -v hz="$ticks_per_second" -v b="$before" -v a="$after" 'BEGIN {
    split(b, x, " "); split(a, y, " "); n = r * s
    printf "%s %.1f %.1f", r, (y[1] - x[1]) / hz / n * 1e6, (y[2] - x[2]) / hz / n * 1e6 }'
}

ticks_per_second=$(getconf CLK_TCK)
declare -A ratios
for scenario in same_ua unique_ua unique_device unique_model; do
  ratios[$scenario]=""
  script=$scenario.lua
  export UA_FORM=browser
  if [ "$scenario" = unique_device ]; then script=unique_ua.lua; UA_FORM=device; fi
  if [ "$scenario" = unique_model ]; then script=unique_ua.lua; UA_FORM=model; fi
  for round in $(seq "$ROUNDS"); do
    read -r bare bare_user bare_kernel <<<"$(run $port_bare "${pids[0]}" "$script")"
    read -r guarded guarded_user guarded_kernel <<<"$(run $port_guarded "${pids[1]}" "$script")"
    ratio=$(awk -v g="$guarded" -v b="$bare" 'BEGIN {printf "%.3f", g / b}')
    printf '%-13s round %d: bare %9.0f req/s  guarded %9.0f req/s  ratio %s' "$scenario" "$round" "$bare" "$guarded" "$ratio"
    # The server's CPU per request, user + kernel (the kernel's share includes waking wrk).
    printf '  (µs a request, user + kernel: bare %s + %s, guarded %s + %s)\n' \
      "$bare_user" "$bare_kernel" "$guarded_user" "$guarded_kernel"
    ratios[$scenario]+="$ratio "
  done
done
grep -h "unexpected statuses" "$log" | sort | uniq -c
for scenario in same_ua unique_ua unique_device unique_model; do
  median=$(tr ' ' '\n' <<<"${ratios[$scenario]}" | grep . | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}')
  echo "median ratio guarded/bare, $scenario: $median"
done
