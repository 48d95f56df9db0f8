"""Per-config verdict caches and the cached decision, `classify`.

Each live `Config` owns one LRU of verdicts, held in a `WeakKeyDictionary` keyed by the config:
a config that nobody holds any more takes its cache with it. This is Kong's design; what made
Kong leak was a config cache that handed out a new config object on every read, so every read
got a new cache. botguard's loaders return the same object while the content is unchanged.
"""

from __future__ import annotations

import bisect
import hashlib
import re
import threading
import weakref
from array import array
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from time import perf_counter
from typing import Final
from urllib.parse import urlsplit

from ._config import Config, Explanation
from ._judge import NO_MATCH, judge
from ._forged import HTTPS, LOOPBACK, NOT_SECURE, WEBSOCKET_SCHEMES, forged_reason, is_loopback_host
from ._patterns import _ASCII_WHITESPACE_BYTES, MAX_UA_CHARS, decode_user_agent
from ._verdict import Verdict

__all__ = [
    "REJECTED",
    "REQUESTS",
    "CacheInfo",
    "DecisionTiming",
    "RequestCounts",
    "VerdictLRU",
    "cache_info",
    "ENTRY_BYTES",
    "KEY_LIMIT",
    "PHONES_LIMIT",
    "cache_key",
    "cached_explanation",
    "classify",
    "count_request",
    "decision_timing",
    "default_config",
    "explain",
    "phone_key",
    "recount_request",
    "verdict_cache",
]

# A header value as it came when it is short, else a digest of it (see `cache_key`).
CacheKey = str | bytes | tuple[bytes]


class VerdictLRU(OrderedDict[CacheKey, Explanation]):
    """The verdicts of one config, least recently used first, at most `maxsize` of them.

    An `OrderedDict` used through its C methods only (`get`, `move_to_end`, `popitem`), by
    `cached_explanation`: a hit costs a lookup and a move, a miss a lookup, an insert and an
    eviction, with no Python frame in between. Under a flood of new User-Agents every request is
    a miss; a general LRU class (cachetools') spent more in its own Python methods, and in raising
    KeyError for a key it lacks, than in the dictionaries, and the flood's throughput was about 7%
    lower.
    """

    def __init__(self, maxsize: int) -> None:
        super().__init__()
        self.maxsize = maxsize

    @property
    def currsize(self) -> int:
        """How many verdicts it holds (the name cachetools' caches use)."""
        return len(self)


# The longest header value (in bytes, or in ASCII characters) cached under itself. A longer one
# is cached under a digest of the whole value, so that an entry costs at most about
# `ENTRY_BYTES` whatever the client sends: a key this long, its explanation, and the LRU's own
# bookkeeping (`tests/test_cache_memory.py` measures it under a real server).
KEY_LIMIT: Final = MAX_UA_CHARS
ENTRY_BYTES: Final = 1536
# The phones' keys (`phone_key`) kept as found a person's; past this many, forgotten at once.
PHONES_LIMIT: Final = 4096
# A value answered from its raw bytes (a major browser's exact string, a phone already found a
# person's) is stored at once while the cache has room, and once it is full on its second
# sighting, not its first: answering it again is one match of its bytes, while storing it costs an
# insert, an eviction and a key kept alive, and a flood of strings sent once (the cache-busting
# attack) would otherwise spend that on every request and push out the entries that real traffic
# repeats. `_SEEN` holds the hash of the last such value sent in each slot (a doorkeeper, as cache
# admission policies call it); a race or a collision only costs another sighting.
SEEN_SLOTS: Final = 16384
_SEEN: Final = array("q", bytes(8 * SEEN_SLOTS))

# One lock for every cache and the counters: a `VerdictLRU` changed by two threads at once loses its
# order, and the critical sections are a dict lookup long, so one lock costs less than the
# bookkeeping of many.
_lock: Final = threading.Lock()
_caches: weakref.WeakKeyDictionary[Config, VerdictLRU] = weakref.WeakKeyDictionary()
# [hits, misses], cumulative over every cache this process has had, live or released.
_counts: Final = [0, 0]
# A histogram of miss-path decision time, in seconds: upper bounds (Prometheus `le`), the count
# of misses that fell in each bucket (not cumulative), and their total time. Bumped in the
# locked section that stores the verdict, so timing a miss takes no extra lock.
DECISION_BOUNDS: Final = (
    0.000005, 0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005,
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, float("inf"),
)
_timing_counts: Final = [0] * len(DECISION_BOUNDS)
_timing_total: Final = [0.0]
_default: list[Config] = []


class RequestCounts:
    """Requests judged by the middlewares, by verdict (None: rejected for duplicate User-Agents)
    and by whether the config was in monitor mode.

        row = REQUESTS.row(config.monitor)     # a config's row, looked up once
        row[verdict] += 1                      # under `_lock`; row[REJECTED] for duplicates

    Each row is a list indexed by verdict code, its last slot the rejected duplicates. A guard
    keeps its config's row, and `cached_explanation` bumps it in the same locked section as the
    cache lookup: counting a request costs an index and an add, not a call or another lock.
    """

    __slots__ = ("enforced", "monitored")

    def __init__(self) -> None:
        self.enforced = [0] * (int(max(Verdict)) + 2)
        self.monitored = [0] * (int(max(Verdict)) + 2)

    def row(self, monitor: bool) -> list[int]:
        """The counters of requests decided with the rules enforced, or in monitor mode."""
        return self.monitored if monitor else self.enforced

    def snapshot(self) -> dict[Verdict | None, tuple[int, int]]:
        """verdict -> (requests decided with the rules enforced, requests decided in monitor mode)."""
        with _lock:
            return {v: (self.enforced[_index(v)], self.monitored[_index(v)]) for v in (*Verdict, None)}


# The slot of requests rejected for carrying several User-Agent headers: a row's last.
REJECTED: Final = -1


def _index(verdict: Verdict | None) -> int:
    return REJECTED if verdict is None else int(verdict)


REQUESTS: Final = RequestCounts()


@dataclass(frozen=True, slots=True)
class CacheInfo:
    """A snapshot of the verdict caches: how many live, how they are used, how full they are."""

    caches: int
    hits: int
    misses: int
    entries: int


@dataclass(frozen=True, slots=True)
class DecisionTiming:
    """A snapshot of the cache counters and the miss-path decision time histogram."""

    hits: int
    misses: int
    bounds: tuple[float, ...]
    counts: tuple[int, ...]
    total: float


def decision_timing() -> DecisionTiming:
    """Hits, misses, and how long the misses took to decide (per-bucket counts, not cumulative)."""
    with _lock:
        return DecisionTiming(_counts[0], _counts[1], DECISION_BOUNDS, tuple(_timing_counts), _timing_total[0])


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
            cache = _caches[config] = VerdictLRU(config.cache_size)
        return cache


def cached_explanation(config: Config, cache: VerdictLRU, raw: str | bytes, counts: list[int] | None = None) -> Explanation:
    """The decision for a raw header value, from `cache` when it is there (the hot path).

    Arguments:
        config, cache: the config in force and its verdict cache.
        raw: the header value as received.
        counts: the config's row of `REQUESTS`, to count a request with this verdict (the
            middlewares' lookup); None counts no request.

    Explanations are cached rather than bare verdicts, so a block can be logged with its rule at
    no extra cost; they are small, shared and immutable. A decision is stored unless it is
    uncertain (see `SearchBudget`), and timed for `decision_timing`; a value answered from its
    raw bytes alone (a major browser's exact string, a phone already found a person's) is not
    timed, and once the cache is full it is stored from its second sighting on (`_SEEN`).

    Under a flood of new User-Agents the miss below is every request's path, and each Python call
    on it costs a server several times what it costs in a loop (its code and data are cold
    between requests): for the usual value (a header's bytes, short) `cache_key` and
    `decode_user_agent` are inline, and the store with its eviction is inline for every value.
    """
    with _lock:
        found = cache.get(raw)
        if found is not None:
            cache.move_to_end(raw)
            _counts[0] += 1
            if counts is not None:
                counts[found.verdict] += 1
            return found
    if type(raw) is bytes and len(raw) <= KEY_LIMIT:
        key: CacheKey = raw
        passes = config._passes
        if (
            passes is not None
            and (shape := passes(raw)) is not None
            and (
                shape.lastindex is None
                or (phone := (shape.group(1), shape.group(2), len(raw) >= 128)) in config._passed
            )
        ):
            # A major browser's exact string, or a phone's whose other versions were found a
            # person's (`phone_key`, inline), where only the built-in list speaks: what `judge`
            # would answer, without decoding the value or calling the list. Answered from its
            # bytes, it is not timed, and once the cache is full it is stored from its second
            # sighting on (`_SEEN`).
            seen = hash(raw)
            slot = seen & (SEEN_SLOTS - 1)
            again = _SEEN[slot] == seen
            if not again:
                _SEEN[slot] = seen
            with _lock:
                _counts[1] += 1
                if again or len(cache) < cache.maxsize:
                    cache[raw] = NO_MATCH
                    if len(cache) > cache.maxsize:
                        cache.popitem(last=False)
                if counts is not None:
                    counts[NO_MATCH.verdict] += 1
            return NO_MATCH
        start = perf_counter()
        head = raw.strip(_ASCII_WHITESPACE_BYTES)
        try:
            text = head.decode("utf-8")
        except UnicodeDecodeError:
            text = head.decode("latin-1")
        found = judge(config, text)
        # A phone's string found a person's: its key (bound when `passes` matched with groups)
        # is remembered.
        if found is NO_MATCH and passes is not None and shape is not None:
            passed = config._passed
            if len(passed) >= PHONES_LIMIT:
                passed.clear()  # a flood of new models: start again, bounded
            passed.add(phone)
    else:  # text, or a long value: cached under a digest, where it may be
        key = cache_key(raw)
        if key is not raw:
            with _lock:
                found = cache.get(key)
                if found is not None:
                    cache.move_to_end(key)
                    _counts[0] += 1
                    if counts is not None:
                        counts[found.verdict] += 1
                    return found
        start = perf_counter()
        found = judge(config, decode_user_agent(raw))
    elapsed = perf_counter() - start
    with _lock:
        _counts[1] += 1
        if not found.uncertain:  # a timeout that waiting caused may not recur
            cache[key] = found  # new, or stored meanwhile by another thread: either way, fresh enough
            if len(cache) > cache.maxsize:
                cache.popitem(last=False)
        _timing_counts[bisect.bisect_left(DECISION_BOUNDS, elapsed)] += 1
        _timing_total[0] += elapsed
        if counts is not None:
            counts[found.verdict] += 1
    return found


def phone_key(shape: re.Match[bytes]) -> tuple[bytes, bytes, bool]:
    """What a phone's raw string (`shape`, its match of `RuleSet.passes`) is remembered by: the
    groups 1 and 2 of `PHONE_FORMAT` (all but the browser's version numbers), and whether it is
    128 characters or more (the detector weighs lengths by class, and version numbers can move a
    string across that line). `cached_explanation` builds the same key inline."""
    head, tail = shape.group(1, 2)
    return head, tail, shape.end() >= 128


def cache_key(raw: str | bytes) -> CacheKey:
    """The key `raw` is cached under: itself when at most `KEY_LIMIT` long, else a digest of all of it.

    The verdict of a long value depends on all of it (a name past the characters the rules read
    still counts), so the digest covers the whole value; it is a tuple, so that no header value
    can be equal to it.
    """
    if len(raw) <= KEY_LIMIT and (isinstance(raw, bytes) or raw.isascii()):
        return raw
    data = raw if isinstance(raw, bytes) else raw.encode("utf-8", "surrogatepass")
    return (hashlib.sha256(data).digest(),)


def count_request(verdict: Verdict | None, monitor: bool) -> None:
    """Count a request judged without a lookup (no User-Agent header, or several)."""
    with _lock:
        REQUESTS.row(monitor)[_index(verdict)] += 1


def recount_request(counted: Verdict, verdict: Verdict, monitor: bool) -> None:
    """Move one request counted under `counted` to `verdict` (a crawler claim, once its address proved it)."""
    row = REQUESTS.row(monitor)
    with _lock:
        row[counted] -= 1
        row[verdict] += 1


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
        return judge(config, None).verdict
    return cached_explanation(config, verdict_cache(config), user_agent).verdict


def explain(
    user_agent: str | bytes | None,
    config: Config | None = None,
    *,
    headers: Mapping[str, str] | Mapping[bytes, bytes] | Iterable[tuple[str | bytes, str | bytes]] | None = None,
    origin: str | None = None,
) -> Explanation:
    """Why `classify` gives the verdict it gives: the list and the rule that decided (uncached).

        explain("curl/8.0").rule  # the matching Rule, or None
        explain(CHROME, Config(check_headers=True), headers={"accept": "*/*"}, origin="https://shop.example")
        # FORGED: claims Chrome 131 but sends no Accept-Language

    Arguments:
        user_agent: the header value as text or raw bytes; None for a request without one.
        config: the rules; None means the built-in defaults.
        headers: the request's other headers, by name; when given and `config.check_headers` is on,
            they are checked against the browser the User-Agent claims, as the middleware does.
        origin: where the request was sent ("https://shop.example", "http://localhost:8000"):
            https, or http to a loopback host, is a secure origin (Fetch Metadata and client hints
            are then expected); ws:// or wss:// makes it a WebSocket handshake; None means neither.
    """
    if config is None:
        config = default_config()
    text = None if user_agent is None else decode_user_agent(user_agent)
    explanation = judge(config, text)
    if explanation.verdict is Verdict.NONE and explanation.rule_list is None and text and config._builtin is not None:
        # Nothing decided: name a built-in rule that matched and was outweighed, if one did.
        outweighed = config._builtin.outweighed(text)
        if outweighed is not None:
            explanation = replace(explanation, outweighed=outweighed)
    claim = explanation.browser
    if headers is None or claim is None:
        return explanation
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    named = {_raw(name).lower(): _raw(value) for name, value in pairs}
    websocket = origin is not None and urlsplit(origin).scheme in WEBSOCKET_SCHEMES
    reason = forged_reason(claim, named, _origin_security(origin), websocket)
    return explanation if reason is None else Explanation(Verdict.FORGED, "headers", None, browser=claim, reason=reason)


def _raw(text: str | bytes) -> bytes:
    return text if isinstance(text, bytes) else str(text).encode("latin-1", "replace")


def _origin_security(origin: str | None) -> int:
    if origin is None:
        return NOT_SECURE
    parts = urlsplit(origin)
    if parts.scheme in ("https", "wss"):
        return HTTPS
    return LOOPBACK if is_loopback_host(parts.netloc) else NOT_SECURE


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
