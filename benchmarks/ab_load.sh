#!/usr/bin/env bash
# One flood of load.sh against three servers in alternation: the bare app, botguard as another
# checkout has it, and botguard as this one has it, so that both see the same machine noise.
#
#   benchmarks/ab_load.sh CHECKOUT [UA_FORM] [ROUNDS] [SECONDS]
#       CHECKOUT: another checkout of botguard (git worktree add /tmp/other <commit>)
#       UA_FORM: browser (default), device or model, as in unique_ua.lua
#
# Prints each round's requests/s and ratios to the bare app, and the median ratio of each checkout.
# Runs on uvicorn[standard] (uvloop, httptools); the other checkout's code runs with this
# checkout's environment. Needs wrk. Bounded: ROUNDS x 3 servers x SECONDS.
set -euo pipefail
cd "$(dirname "$0")/.."
other=$(cd "${1:?usage: benchmarks/ab_load.sh CHECKOUT [UA_FORM] [ROUNDS] [SECONDS]}" && pwd)
form=${2:-browser}
rounds=${3:-5}
seconds=${4:-4}
PY=$(pwd)/${PYTHON:-.venv/bin/python}
command -v wrk >/dev/null || { echo "wrk not found: apt-get install wrk" >&2; exit 2; }
flags="--loop uvloop --http httptools --log-level warning --no-access-log"
pin_server=""; pin_client=""
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then pin_server="taskset -c 1"; pin_client="taskset -c 0"; fi
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
$pin_server "$PY" -m uvicorn benchmarks.load_apps:bare --host 127.0.0.1 --port 18181 $flags & pids+=($!)
(cd "$other" && PYTHONPATH="$other" exec $pin_server "$PY" -m uvicorn benchmarks.load_apps:guarded --host 127.0.0.1 --port 18182 $flags) & pids+=($!)
$pin_server "$PY" -m uvicorn benchmarks.load_apps:guarded --host 127.0.0.1 --port 18183 $flags & pids+=($!)
for port in 18181 18182 18183; do
  for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
done
ratios_other=""; ratios_this=""
for round in $(seq "$rounds"); do
  order="18181 18182 18183"; [ $((round % 2)) = 0 ] && order="18181 18183 18182"  # alternate who goes second
  declare -A rate
  for port in $order; do
    rate[$port]=$(UA_FORM=$form $pin_client wrk -t1 -c32 -d"${seconds}s" -s benchmarks/unique_ua.lua "http://127.0.0.1:$port/" |
      awk '/Requests\/sec/ {print $2}')
  done
  read -r other_ratio this_ratio <<<"$(awk -v b="${rate[18181]}" -v o="${rate[18182]}" -v t="${rate[18183]}" 'BEGIN {printf "%.3f %.3f", o / b, t / b}')"
  printf 'round %d: bare %9.0f req/s  other %9.0f (%s)  this %9.0f (%s)\n' "$round" "${rate[18181]}" "${rate[18182]}" "$other_ratio" "${rate[18183]}" "$this_ratio"
  ratios_other+="$other_ratio "; ratios_this+="$this_ratio "
done
median() { tr ' ' '\n' <<<"$1" | grep . | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
echo "median ratio guarded/bare, $form: other $(median "$ratios_other"), this $(median "$ratios_this")"
