"""Microseconds per uncached decision (median, p99) for botguard and its peers, in one run.

    python benchmarks/speed.py [DATA_DIR] [--sample 2000] [--runs 5] [--markdown]

Arguments:
    DATA_DIR: the labelled corpus (`ua-*.tsv` or `ua-*.tsv.gz`); default `benchmarks/data/`, the
        copy shipped with the project.
    --sample: User-Agents drawn (fixed seed) from each of the browser and bot files.
    --runs: passes over the sample; the table shows the median of the per-run figures.
    --markdown: print the table as Markdown (as in the README).

Every call sees its User-Agent for the first time as far as any cache goes: botguard is timed on
`judge` (`botguard/_judge.py`) (the miss path behind `classify`), so no verdict cache is involved. isbot is
timed inside Node with the same loop, so process start-up is not counted. Cold start is the time
to build the default engine in a fresh interpreter (after `import botguard`), median of 5.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._peers import DEFAULT_DATA, isbot_dir, isbot_version, load_corpus  # noqa: E402
from botguard import Config  # noqa: E402
from botguard._detector import Detector  # noqa: E402
from botguard._judge import judge  # noqa: E402
from botguard._patterns import normalize_user_agent  # noqa: E402
from botguard._rulesets import builtin_ruleset  # noqa: E402

Timed = Callable[[str], object]

_ISBOT_SPEED_JS = """
const {isbot} = require("isbot");
const uas = JSON.parse(require("fs").readFileSync(0, "utf8"));
const runs = Number(process.argv[1]);
isbot("warm up the pattern");
const out = [];
for (let r = 0; r < runs; r++) {
  const times = [];
  for (const ua of uas) {
    const t = process.hrtime.bigint();
    isbot(ua);
    times.push(Number(process.hrtime.bigint() - t) / 1000);
  }
  out.push(times);
}
process.stdout.write(JSON.stringify(out));
"""


def _percentiles(times_us: list[float]) -> tuple[float, float]:
    ordered = sorted(times_us)
    return ordered[len(ordered) // 2], ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def time_python(call: Timed, uas: list[str], runs: int) -> tuple[float, float]:
    for ua in uas[:50]:
        call(ua)  # warm up lazily built parts with strings outside the timed order
    medians, p99s = [], []
    clock = time.perf_counter_ns
    for _ in range(runs):
        times = []
        for ua in uas:
            start = clock()
            call(ua)
            times.append((clock() - start) / 1000)
        median, p99 = _percentiles(times)
        medians.append(median)
        p99s.append(p99)
    return statistics.median(medians), statistics.median(p99s)


def time_isbot(uas: list[str], runs: int) -> tuple[float, float] | str:
    folder = isbot_dir()
    if isinstance(folder, str):
        return folder
    done = subprocess.run(
        ["node", "-e", _ISBOT_SPEED_JS, str(runs)], cwd=folder, input=json.dumps(uas), capture_output=True, text=True, check=True
    )
    per_run = [_percentiles(times) for times in json.loads(done.stdout)]
    return statistics.median(m for m, _ in per_run), statistics.median(p for _, p in per_run)


def cold_start_ms(builtin: str, runs: int = 5) -> float:
    code = (
        "import time, botguard; from botguard._rulesets import builtin_ruleset; "
        f"t = time.perf_counter(); builtin_ruleset({builtin!r}); print((time.perf_counter() - t) * 1000)"
    )
    return statistics.median(
        float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
        for _ in range(runs)
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--sample", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args(argv)
    bots, humans = load_corpus(args.data)
    rng = random.Random(5)
    samples = {
        "browsers": rng.sample([ua for _, ua in humans], min(args.sample, len(humans))),
        "bots": rng.sample([ua for _, ua in bots], min(args.sample, len(bots))),
    }

    peers: dict[str, Timed | str] = {}
    for builtin in ("default", "kong"):
        config = Config(builtin=builtin)
        peers[f"botguard {builtin}"] = lambda ua, c=config: judge(c, normalize_user_agent(ua))
    try:
        from crawlerdetect import CrawlerDetect

        detector = CrawlerDetect()
        peers["crawlerdetect"] = detector.isCrawler
    except ImportError:
        peers["crawlerdetect"] = "not installed: pip install crawlerdetect"
    try:
        import crawleruseragents

        peers["crawler-user-agents"] = crawleruseragents.is_crawler
    except ImportError:
        peers["crawler-user-agents"] = "not installed: pip install crawler-user-agents"

    results: dict[str, dict[str, tuple[float, float]]] = {}
    for name, call in peers.items():
        if isinstance(call, str):
            print(f"skipped {name}: {call}", file=sys.stderr)
            continue
        results[name] = {kind: time_python(call, uas, args.runs) for kind, uas in samples.items()}
    isbot_results = {kind: time_isbot(uas, args.runs) for kind, uas in samples.items()}
    if all(not isinstance(r, str) for r in isbot_results.values()):
        results[f"isbot {isbot_version()} (Node)"] = isbot_results  # type: ignore[assignment]
    else:
        print(f"skipped isbot: {isbot_results['browsers']}", file=sys.stderr)

    head = ["detector", "browsers median µs", "browsers p99 µs", "bots median µs", "bots p99 µs", "× vs crawlerdetect (browsers)"]
    base = results.get("crawlerdetect", {}).get("browsers", (0.0, 0.0))[0]
    rows = []
    for name, by_kind in results.items():
        bm, bp = by_kind["browsers"]
        om, op = by_kind["bots"]
        ratio = f"{base / bm:.0f}×" if base and name != "crawlerdetect" else "-"
        rows.append([name, f"{bm:.1f}", f"{bp:.1f}", f"{om:.1f}", f"{op:.1f}", ratio])
    print(f"{len(samples['browsers'])} browser and {len(samples['bots'])} bot User-Agents, median of {args.runs} runs")
    if args.markdown:
        print("| " + " | ".join(head) + " |")
        print("|---|" + "---:|" * (len(head) - 1))
        for row in rows:
            print("| " + " | ".join(row) + " |")
    else:
        widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
        for row in [head, *rows]:
            print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))))
    # Most of a live site's traffic is a major browser's own string, which the corpus's variety of
    # devices under-represents: those are decided before the lists and the model run.
    detector = builtin_ruleset("default")._search
    assert isinstance(detector, Detector)
    exact = [ua for ua in samples["browsers"] if detector.well_formed(normalize_user_agent(ua))]
    if exact and "botguard default" in results:
        median, p99 = time_python(peers["botguard default"], exact, args.runs)  # type: ignore[arg-type]
        print(f"botguard default, the {len(exact)} browsers above in a major browser's exact format: "
              f"{median:.1f} µs median, {p99:.1f} p99")
    print(f"\ncold start, building the engine (median of 5 fresh interpreters): "
          f"default {cold_start_ms('default'):.0f} ms, kong {cold_start_ms('kong'):.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
