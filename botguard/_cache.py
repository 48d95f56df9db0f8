"""Per-config verdict caches and the cached decision, `classify`.

Each live `Config` owns one LRU of verdicts, held in a `WeakKeyDictionary` keyed by the config:
a config that nobody holds any more takes its cache with it. This is Kong's design; what made
Kong leak was a config cache that handed out a new config object on every read, so every read
got a new cache. botguard's loaders return the same object while the content is unchanged.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass
from typing import Final

from cachetools import LRUCache

from ._config import Config, Explanation
from ._patterns import normalize_user_agent
from ._verdict import Verdict

__all__ = ["CacheInfo", "cache_info", "classify", "default_config", "explain", "verdict_cache", "cached_explanation"]

VerdictLRU = LRUCache[str | bytes, Explanation]

# One lock for every cache and the counters: `LRUCache` is not thread-safe, and the critical
# sections are a dict lookup long, so one lock costs less than the bookkeeping of many.
_lock: Final = threading.Lock()
_caches: weakref.WeakKeyDictionary[Config, VerdictLRU] = weakref.WeakKeyDictionary()
# [hits, misses], cumulative over every cache this process has had, live or released.
_counts: Final = [0, 0]
_default: list[Config] = []


@dataclass(frozen=True, slots=True)
class CacheInfo:
    """A snapshot of the verdict caches: how many live, how they are used, how full they are."""

    caches: int
    hits: int
    misses: int
    entries: int


def default_config() -> Config:
    """The config used where none is given: the built-in default rules, built once."""
    if not _default:
        with _lock:
            if not _default:
                _default.append(Config())
    return _default[0]


def verdict_cache(config: Config) -> VerdictLRU:
    """The verdict LRU of `config`, created on first use."""
    with _lock:
        cache = _caches.get(config)
        if cache is None:
            cache = _caches[config] = LRUCache(config.cache_size)
        return cache


def cached_explanation(config: Config, cache: VerdictLRU, raw: str | bytes) -> Explanation:
    """The decision for a raw header value, from `cache` when it is there (the hot path).

    Explanations are cached rather than bare verdicts, so a block can be logged with its rule at
    no extra cost; they are small, shared and immutable.
    """
    with _lock:
        try:
            found = cache[raw]
        except KeyError:
            _counts[1] += 1
        else:
            _counts[0] += 1
            return found
    found = config.explain_text(normalize_user_agent(raw))
    if not found.timed_out:
        with _lock:
            cache[raw] = found
    return found


def classify(user_agent: str | bytes | None, config: Config | None = None) -> Verdict:
    """The verdict for one User-Agent under `config` (the default config when None), cached.

        classify("Googlebot/2.1 (+http://www.google.com/bot.html)")  # Verdict.BOT

    Arguments:
        user_agent: the header value as text or raw bytes; None for a request without one.
        config: the rules; None means the built-in defaults.
    """
    if config is None:
        config = default_config()
    if user_agent is None:
        return config.explain_text(None).verdict
    return cached_explanation(config, verdict_cache(config), user_agent).verdict


def explain(user_agent: str | bytes | None, config: Config | None = None) -> Explanation:
    """Why `classify` gives the verdict it gives: the list and the rule that decided (uncached).

        explain("curl/8.0").rule  # the matching Rule, or None
    """
    if config is None:
        config = default_config()
    return config.explain_text(None if user_agent is None else normalize_user_agent(user_agent))


def cache_info() -> CacheInfo:
    """A snapshot of every live verdict cache and the hits and misses of all caches so far."""
    with _lock:
        caches = list(_caches.values())
        return CacheInfo(
            caches=len(caches),
            hits=_counts[0],
            misses=_counts[1],
            entries=sum(len(c) for c in caches),
        )
