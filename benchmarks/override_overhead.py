"""What the `botguard.testing` override hook costs a request: `Guard.decide` on a cached verdict.

    .venv/bin/python benchmarks/override_overhead.py

Four cases, each the median of several runs, all measured in one process so the ratios compare
like with like: the guard as it was before the hook, the hook with no override anywhere (what
production pays), an override entered in another thread (the hook then reads a ContextVar), and
an override in force here (`disabled()`).
"""

from __future__ import annotations

import statistics
import threading
import timeit

from botguard import Config
from botguard._guard import Guard, _checked, _in_force
from botguard._request import Request
from botguard.testing import disabled

UA = b"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"
CALLS = 200_000
RUNS = 9


class GuardWithoutHook(Guard):
    """`Guard` without the override hook, for the baseline: `_in_force` only follows the source.
    (`Guard.decide` also reads one counter before it calls `_in_force`; that read stays.)"""

    __slots__ = ()

    def _in_force(self):  # type: ignore[no-untyped-def]
        current = self._current
        if self._source is not None:
            config = self._source.get()
            if current.config is not config:
                current = self._current = _in_force(_checked(config))
        return current


def per_call_ns(call: object) -> float:
    return timeit.timeit(call, number=CALLS) / CALLS * 1e9  # type: ignore[arg-type]


def compare(label: str, config: Config) -> None:
    """Alternate baseline and hooked guard in every run, so drift on a noisy machine hits both."""
    old, new = GuardWithoutHook(config), Guard(config)
    request = Request((UA,))
    old.decide(request)
    cases = {
        "current()": (old.current, new.current),
        "decide()": (lambda: old.decide(request), lambda: new.decide(request)),
    }
    for name, (before, after) in cases.items():
        pairs = [(per_call_ns(before), per_call_ns(after)) for _ in range(RUNS)]
        b = statistics.median(p[0] for p in pairs)
        a = statistics.median(p[1] for p in pairs)
        print(f"  {label:34} {name:10} before {b:7.1f} ns  with hook {a:7.1f} ns  +{a - b:6.1f} ns  {a / b:5.2f}x")


def main() -> None:
    config = Config()
    print(f"Guard on a cached verdict; median of {RUNS} alternating runs x {CALLS:,} calls")
    compare("no override anywhere", config)

    entered, release = threading.Event(), threading.Event()

    def elsewhere() -> None:
        with disabled():
            entered.set()
            release.wait()

    thread = threading.Thread(target=elsewhere)
    thread.start()
    entered.wait()
    compare("override in another thread", config)
    release.set()
    thread.join()

    with disabled():
        compare("disabled() in force here", config)


if __name__ == "__main__":
    main()
