"""botguard's counters as Prometheus metrics (needs `botguard[prometheus]`), after one call at start-up.

    import botguard.prometheus
    botguard.prometheus.register()          # where your app is built: once per process, safe twice

One process: `register()` adds a `BotguardCollector` to prometheus_client's default `REGISTRY`
(or the registry you pass); it reads `botguard.stats()` when Prometheus scrapes, so nothing of
prometheus_client runs per request.

Several worker processes (uvicorn `--workers`, gunicorn): with `PROMETHEUS_MULTIPROC_DIR` set
before prometheus_client is first imported, `register()` instead writes botguard's counters into
prometheus_client's per-process files, where its own `MultiProcessCollector` sums them over the
workers. The request path is unchanged: the counters stay plain integers bumped under the
verdict cache's lock, and a daemon thread copies what they gained into the files once a second,
and once more when the process stops (at exit, or at the ASGI lifespan shutdown, which is all
uvicorn lets a worker see). A scrape is at most `FLUSH_SECONDS` (one second) behind; what a worker
killed with SIGKILL counted since its last copy is lost.

Importing this module registers nothing.
"""

from __future__ import annotations

import atexit
import glob
import math
import os
import threading
from collections.abc import Iterable, Iterator
from typing import Any, Final

from prometheus_client import Counter, Histogram, multiprocess
from prometheus_client.core import REGISTRY, CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry

from . import _observe
from ._cache import DECISION_BOUNDS
from ._observe import possible_actions, stats

__all__ = ["FLUSH_SECONDS", "BotguardCollector", "MultiProcessCollector", "flush", "multiprocess_mode", "register"]

#: How often, in seconds, a process copies its counters into prometheus_client's multiprocess files.
FLUSH_SECONDS: Final = 1.0

_REQUESTS_HELP: Final = (
    "Requests botguard judged, by verdict and by what it did (passed, blocked, monitored: would have blocked)."
)
_HITS_HELP: Final = "User-Agent verdicts found in a verdict cache."
_MISSES_HELP: Final = "User-Agent verdicts decided by the rules (not in a verdict cache)."
_RELOADS_HELP: Final = "Config reloads by result (changed, unchanged, failed)."
_DECISION_HELP: Final = (
    "Time to decide a User-Agent that was not in the verdict cache (the miss path), "
    "but for one answered from its raw bytes alone (a major browser's exact string, or a phone's "
    "whose other versions were found a person's)."
)


class BotguardCollector(Collector):
    """A Prometheus collector that turns `botguard.stats()` into metrics when it is scraped.

        BotguardCollector().register(registry)

    Metrics: `botguard_requests_total{verdict,action}`, `botguard_cache_hits_total`,
    `botguard_cache_misses_total`, `botguard_config_reloads_total{result}`, and the histogram
    `botguard_decision_seconds` (time to decide a User-Agent that was not in the cache, but for one
    answered from its raw bytes alone). The numbers are this process's; for several workers see
    `register()`.
    """

    def register(self, registry: CollectorRegistry = REGISTRY) -> BotguardCollector:
        """Add this collector to `registry` (the default registry when none is given)."""
        registry.register(self)
        return self

    def collect(self) -> Iterator[Metric]:
        """The metrics, from one snapshot of the counters."""
        snapshot = stats()
        requests = CounterMetricFamily("botguard_requests", _REQUESTS_HELP, labels=["verdict", "action"])
        for verdict, action, count in _request_series(snapshot):
            requests.add_metric([verdict, action], count)
        yield requests
        yield CounterMetricFamily("botguard_cache_hits", _HITS_HELP, value=snapshot["cache_hits"])
        yield CounterMetricFamily("botguard_cache_misses", _MISSES_HELP, value=snapshot["cache_misses"])
        reloads = CounterMetricFamily("botguard_config_reloads", _RELOADS_HELP, labels=["result"])
        for result, count in snapshot["config_reloads"].items():
            reloads.add_metric([result], count)
        yield reloads
        timing = snapshot["decision_seconds"]
        yield HistogramMetricFamily(
            "botguard_decision_seconds",
            _DECISION_HELP,
            buckets=[(_le(bound), count) for bound, count in timing["buckets"].items()],
            sum_value=timing["sum"],
        )


def _request_series(snapshot: dict[str, Any]) -> Iterator[tuple[str, str, int]]:
    for verdict, actions in snapshot["requests"].items():
        possible = possible_actions(verdict)
        for action, count in actions.items():
            # Series that cannot move (a passed bot, a blocked browser) are left out.
            if count or action in possible:
                yield verdict, action, count


def _le(bound: float) -> str:
    return "+Inf" if math.isinf(bound) else repr(bound)


def multiprocess_mode() -> bool:
    """True when prometheus_client runs in multiprocess mode (`PROMETHEUS_MULTIPROC_DIR` is set)."""
    # prometheus_client's own test, and its old lower-case spelling.
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR") or os.environ.get("prometheus_multiproc_dir"))


class MultiProcessCollector(multiprocess.MultiProcessCollector):
    """prometheus_client's `MultiProcessCollector`, but a file that holds nothing yet is skipped.

        registry = CollectorRegistry()
        botguard.prometheus.MultiProcessCollector(registry)   # where the recipe has multiprocess.…

    prometheus_client creates a process's file and only then sizes it, so for a moment the file is
    empty, and a scrape that reads it then fails whole, every worker's metrics with it; a process
    killed in that moment leaves the empty file behind, and every scrape fails after it. A worker
    creates its files when it first counts, so the moment comes while a deployment starts workers.
    An empty file holds no sample, so leaving it out changes no figure.
    """

    def __init__(self, registry: CollectorRegistry | None, path: str | None = None) -> None:
        # Checks the directory, and copies the old lower-case variable to PROMETHEUS_MULTIPROC_DIR.
        super().__init__(None, path)  # type: ignore[no-untyped-call]  # registered below, once it can collect
        self._directory = path or os.environ["PROMETHEUS_MULTIPROC_DIR"]
        if registry is not None:
            registry.register(self)

    def collect(self) -> Iterable[Metric]:
        files = []
        for name in glob.glob(os.path.join(self._directory, "*.db")):
            try:
                if os.path.getsize(name) > 0:
                    files.append(name)
            except OSError:  # removed since it was listed (`mark_process_dead`)
                continue
        merged: Iterable[Metric] = self.merge(files, accumulate=True)  # type: ignore[no-untyped-call]
        return merged


class _Exporter:
    """Copies what the counters gained since the last copy into prometheus_client's metric values.

    Under multiprocess mode those values live in this process's files in `PROMETHEUS_MULTIPROC_DIR`.
    The metric objects are in no registry: `MultiProcessCollector` reads the files.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests = Counter("botguard_requests", _REQUESTS_HELP, ["verdict", "action"], registry=None)
        self.hits = Counter("botguard_cache_hits", _HITS_HELP, registry=None)
        self.misses = Counter("botguard_cache_misses", _MISSES_HELP, registry=None)
        self.reloads = Counter("botguard_config_reloads", _RELOADS_HELP, ["result"], registry=None)
        self.decision = Histogram("botguard_decision_seconds", _DECISION_HELP, buckets=DECISION_BOUNDS, registry=None)
        # What the files hold so far, by series: a counter only grows, so a count that went down
        # (a crawler claim counted as spoofed, then verified) waits until it passes this again.
        self.copied: dict[tuple[str, ...], float] = {}
        self.at_fork: dict[tuple[str, ...], float] = {}
        self.stop = threading.Event()
        self.thread: threading.Thread | None = None
        with self.lock:
            totals = _totals(stats())
            for key in totals:
                self._value(key).inc(0)  # every series shows from the start, at zero
            self._copy(totals)

    def flush(self) -> None:
        with self.lock:
            self._copy(_totals(stats()))

    def _copy(self, totals: dict[tuple[str, ...], float]) -> None:
        for key, total in totals.items():
            gained = total - self.copied.get(key, 0)
            if gained > 0:
                self._value(key).inc(gained)
                self.copied[key] = total

    def _value(self, key: tuple[str, ...]) -> Any:
        kind = key[0]
        if kind == "requests":
            return self.requests.labels(key[1], key[2])
        if kind == "reloads":
            return self.reloads.labels(key[1])
        if kind == "hits":
            return self.hits
        if kind == "misses":
            return self.misses
        # The histogram's own values (one per bucket, not cumulative, and the sum), written
        # directly: `observe` takes one measurement, and what is copied here is a batch of them.
        if key[1] == "sum":
            return self.decision._sum
        return self.decision._buckets[int(key[1])]

    def start(self) -> None:
        if self.thread is not None and self.thread.is_alive():
            return
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="botguard-prometheus", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stop.wait(FLUSH_SECONDS):
            try:
                self.flush()
            except Exception:  # e.g. the directory was emptied: keep serving, try again
                _observe.logger.exception("could not write the counters for prometheus_client's multiprocess mode")

    # A fork (gunicorn --preload forks its workers from a process that called `register`): the
    # child inherits the parent's counts, which the parent copies into its own files, so the
    # child copies only what it adds, from a thread of its own (threads do not survive a fork).

    def before_fork(self) -> None:
        self.lock.acquire()  # no copy is half done when the process forks
        self.at_fork = _totals(stats())

    def after_fork_in_parent(self) -> None:
        self.lock.release()

    def after_fork_in_child(self) -> None:
        # Nothing here takes a lock another thread of the parent may have held at the fork.
        self.lock = threading.Lock()
        self.copied = dict(self.at_fork)
        self.thread = None
        self.start()


def _totals(snapshot: dict[str, Any]) -> dict[tuple[str, ...], float]:
    """Every exported series of a `stats()` snapshot, by key, with its total so far."""
    totals: dict[tuple[str, ...], float] = {}
    for verdict, action, count in _request_series(snapshot):
        totals["requests", verdict, action] = count
    totals["hits",] = snapshot["cache_hits"]
    totals["misses",] = snapshot["cache_misses"]
    for result, count in snapshot["config_reloads"].items():
        totals["reloads", result] = count
    timing = snapshot["decision_seconds"]
    previous = 0
    for index, cumulative in enumerate(timing["buckets"].values()):
        totals["decision", str(index)] = cumulative - previous
        previous = cumulative
    totals["decision", "sum"] = timing["sum"]
    return totals


_lock: Final = threading.Lock()
_registries: list[CollectorRegistry] = []
_exporter: list[_Exporter] = []


def register(registry: CollectorRegistry | None = None) -> None:
    """Make botguard's metrics visible to Prometheus. Call it once where the app is built; again is harmless.

        botguard.prometheus.register()                    # the default registry, or multiprocess mode
        botguard.prometheus.register(my_registry)         # a registry of your own

    Arguments:
        registry: where to add a `BotguardCollector`. None: prometheus_client's default `REGISTRY`,
            except in multiprocess mode, where the per-process numbers would pose as the totals.

    In multiprocess mode (`PROMETHEUS_MULTIPROC_DIR` set before prometheus_client is imported), it
    also starts copying the counters into this process's files, once a second and at exit, for
    prometheus_client's `MultiProcessCollector` to sum over the workers. A process forked after
    this call (gunicorn `--preload`) copies its own counts.
    """
    with _lock:
        if registry is None and not multiprocess_mode():
            registry = REGISTRY
        if registry is not None and not any(r is registry for r in _registries):
            BotguardCollector().register(registry)
            _registries.append(registry)
        if multiprocess_mode() and not _exporter:
            exporter = _Exporter()
            _exporter.append(exporter)
            _observe.set_multiprocess_dir(
                os.environ.get("PROMETHEUS_MULTIPROC_DIR") or os.environ.get("prometheus_multiproc_dir")
            )
            os.register_at_fork(
                before=exporter.before_fork,
                after_in_parent=exporter.after_fork_in_parent,
                after_in_child=exporter.after_fork_in_child,
            )
            atexit.register(exporter.flush)
            # uvicorn ends its workers by re-raising the stop signal, so no exit handler runs
            # there: botguard's ASGI middleware announces the lifespan shutdown instead.
            _observe.at_shutdown(exporter.flush)
            exporter.start()


def flush() -> None:
    """Copy the counters into the multiprocess files now (done every second anyway; a no-op before `register()`)."""
    if _exporter:
        _exporter[0].flush()
