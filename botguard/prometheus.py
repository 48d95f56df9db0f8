"""botguard's counters as Prometheus metrics, read at scrape time (needs `botguard[prometheus]`).

    from prometheus_client import CollectorRegistry
    from botguard.prometheus import BotguardCollector
    BotguardCollector().register(CollectorRegistry())   # a registry of your own

`import botguard` registers one collector, `botguard.prometheus.collector`, with
`prometheus_client`'s default `REGISTRY` when `prometheus_client` is installed; nothing is
registered (and nothing is imported) when it is not.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

from prometheus_client.core import REGISTRY, CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry

from ._observe import possible_actions, stats

__all__ = ["BotguardCollector", "collector"]


class BotguardCollector(Collector):
    """A Prometheus collector that turns `botguard.stats()` into metrics when it is scraped.

        BotguardCollector().register(registry)

    Metrics: `botguard_requests_total{verdict,action}`, `botguard_cache_hits_total`,
    `botguard_cache_misses_total`, `botguard_config_reloads_total{result}`, and the histogram
    `botguard_decision_seconds` (time to decide a User-Agent that was not in the cache).
    """

    def register(self, registry: CollectorRegistry = REGISTRY) -> BotguardCollector:
        """Add this collector to `registry` (the default registry when none is given)."""
        registry.register(self)
        return self

    def collect(self) -> Iterator[Metric]:
        """The metrics, from one snapshot of the counters."""
        snapshot = stats()
        requests = CounterMetricFamily(
            "botguard_requests",
            "Requests botguard judged, by verdict and by what it did (passed, blocked, monitored: would have blocked).",
            labels=["verdict", "action"],
        )
        for verdict, actions in snapshot["requests"].items():
            possible = possible_actions(verdict)
            for action, count in actions.items():
                # Series that cannot move (a passed bot, a blocked browser) are left out.
                if count or action in possible:
                    requests.add_metric([verdict, action], count)
        yield requests
        yield CounterMetricFamily(
            "botguard_cache_hits", "User-Agent verdicts found in a verdict cache.", value=snapshot["cache_hits"]
        )
        yield CounterMetricFamily(
            "botguard_cache_misses",
            "User-Agent verdicts decided by the rules (not in a verdict cache).",
            value=snapshot["cache_misses"],
        )
        reloads = CounterMetricFamily(
            "botguard_config_reloads", "Config reloads by result (changed, unchanged, failed).", labels=["result"]
        )
        for result, count in snapshot["config_reloads"].items():
            reloads.add_metric([result], count)
        yield reloads
        timing = snapshot["decision_seconds"]
        yield HistogramMetricFamily(
            "botguard_decision_seconds",
            "Time to decide a User-Agent that was not in the verdict cache (the miss path).",
            buckets=[(_le(bound), count) for bound, count in timing["buckets"].items()],
            sum_value=timing["sum"],
        )


def _le(bound: float) -> str:
    return "+Inf" if math.isinf(bound) else repr(bound)


def _register_default() -> BotguardCollector:
    new = BotguardCollector()
    try:
        new.register(REGISTRY)
    except ValueError:
        # The names are taken (this module was reloaded): the registered collector reads the
        # same process-wide counters, so it stays.
        pass
    return new


collector: BotguardCollector = _register_default()
