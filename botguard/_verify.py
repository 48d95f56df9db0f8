"""Verified crawlers: which User-Agents claim to be whom, and the DNS that proves or refutes it.

A User-Agent is a claim anyone can make. The search engines publish how to check it: the reverse
name of the client's address must end in the engine's domain (`crawl-66-249-66-1.googlebot.com`),
and that name must resolve forward to the same address (forward-confirmed reverse DNS). Some
operators also publish their address ranges, which prove a claim without any DNS.

This module is framework-free: the built-in table, the client-address logic (trusted proxies),
the resolver and its per-address cache with single-flight lookups on a small daemon thread pool,
usable from a thread (WSGI) or a coroutine (ASGI) alike.
"""

from __future__ import annotations

import asyncio
import bisect
import functools
import ipaddress
import json
import logging
import os
import queue
import socket
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final, Protocol

from cachetools import TLRUCache

from ._errors import ConfigError
from ._patterns import PatternList, SearchBudget
from ._rulesets import Rule

__all__ = [
    "CRAWLERS",
    "Crawler",
    "Outcome",
    "Resolver",
    "SystemResolver",
    "Verification",
    "Verifier",
    "client_ip",
    "client_ip_from_environ",
    "client_ip_from_scope",
    "load_ranges_file",
    "parse_ip",
]

logger = logging.getLogger("botguard")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Walk at most this many proxy hops: a header with more is treated as unreadable, and a hostile
# 64 KiB header of commas costs no more than a short one.
MAX_HOPS: Final = 32
# Forward-confirm at most this many reverse names of one address.
_MAX_NAMES: Final = 4
# Lookups queued or running at once per verifier; past that a claim fails at once (and is refused)
# instead of queueing without bound behind a resolver that has stopped answering.
_MAX_PENDING: Final = 1024
_RESOLVER_THREADS: Final = 8


@dataclass(frozen=True, slots=True)
class Crawler:
    """A well-known crawler: the User-Agents that claim to be it, and what proves the claim.

        Crawler("mybot", user_agents=(r"(?i)\\bmybot\\b",), domains=("crawl.example.com",))

    Arguments:
        name: the name `Config.verify` lists.
        user_agents: regexes; a User-Agent in which any of them is found claims to be this crawler.
        domains: DNS suffixes its reverse names end in, matched label by label: "googlebot.com"
            admits "crawl-66-249-66-1.googlebot.com", never "evilgooglebot.com".
        ranges: published networks ("66.249.64.0/27", "2001:4860:4801:10::/64") that prove a claim
            without DNS. A crawler with no `domains` is proven by its ranges only.
        category: its bot category ("search", "ai", "preview", ...).
        docs: where its operator documents how to verify it.
    """

    name: str
    user_agents: tuple[str, ...]
    domains: tuple[str, ...] = ()
    ranges: tuple[str, ...] = ()
    category: str | None = None
    docs: str = ""


def _crawler(name: str, pattern: str, domains: tuple[str, ...], category: str, docs: str) -> Crawler:
    return Crawler(name=name, user_agents=(pattern,), domains=domains, category=category, docs=docs)


# The operators' own documentation is the source of each row (see `docs`). Patterns are
# case-insensitive on purpose: "googlebot" in lower case is the same claim, and an allow list
# written with (?i) must not admit it unverified. No address ranges are built in: they change,
# and stale ones would refuse real crawlers; give current ones with `Config.crawler_ranges`.
CRAWLERS: Final[Mapping[str, Crawler]] = MappingProxyType(
    {
        c.name: c
        for c in (
            # Common and special-case crawlers: crawl-*.googlebot.com, geo-crawl-*.geo.googlebot.com,
            # rate-limited-proxy-*.google.com.
            _crawler(
                "google",
                r"(?i)googlebot|google-inspectiontool|googleother|storebot-google|google-cloudvertexbot"
                r"|adsbot-google|mediapartners-google|apis-google|google-safety",
                ("googlebot.com", "google.com"),
                "search",
                "https://developers.google.com/search/docs/crawling-indexing/verifying-googlebot",
            ),
            # User-triggered fetchers: google-proxy-*.google.com, or *.gae.googleusercontent.com when
            # a Google Cloud user's app triggers the fetch, so this proves "fetched through Google",
            # not "Google itself". Kept apart from "google" so Googlebot claims never accept that zone.
            _crawler(
                "google-fetcher",
                r"(?i)feedfetcher-google|google-read-aloud|google-site-verification|googleproducer"
                r"|google-cws|google-notebooklm|google-pinpoint",
                ("google.com", "gae.googleusercontent.com"),
                "other",
                "https://developers.google.com/crawling/docs/crawlers-fetchers/google-user-triggered-fetchers",
            ),
            _crawler(
                "bing",
                r"(?i)bingbot|bingpreview|msnbot|adidxbot|microsoftpreview",
                ("search.msn.com",),
                "search",
                "https://www.bing.com/webmasters/help/how-to-verify-bingbot-3905dc26",
            ),
            _crawler(
                "yandex",
                r"(?i)yandex\w*bot|yandex(?:images|video|media|blogs|favicons|webmaster|pagechecker"
                r"|imageresizer|direct\w*|metrika|news|catalog|market|calendar|sitelinks|turbo|fordomain"
                r"|vertis|searchshop|ontodb\w*|verticals)\b|yadirectfetcher|yandex\.com/bots",
                ("yandex.ru", "yandex.net", "yandex.com"),
                "search",
                "https://yandex.com/support/webmaster/robot-workings/check-yandex-robots.html",
            ),
            _crawler(
                "apple",
                r"(?i)applebot",
                ("applebot.apple.com",),
                "search",
                "https://support.apple.com/en-us/119829",
            ),
            _crawler(
                "baidu",
                r"(?i)baiduspider",
                ("baidu.com", "baidu.jp"),
                "search",
                "https://help.baidu.com/question?prod_id=99&class=476&id=2996",
            ),
            _crawler(
                "yahoo",
                r"(?i)yahoo! ?slurp",
                ("crawl.yahoo.net",),
                "search",
                "https://help.yahoo.com/kb/SLN22600.html",
            ),
            _crawler(
                "seznam",
                r"(?i)seznambot",
                ("seznam.cz",),
                "search",
                "https://napoveda.seznam.cz/en/seznambot-crawler/",
            ),
            _crawler(
                "amazon",
                r"(?i)amazonbot",
                ("crawl.amazonbot.amazon",),
                "ai",
                "https://developer.amazon.com/amazonbot",
            ),
            # These publish addresses only (no reverse names to check): give their lists in
            # `Config.crawler_ranges` ("duckduckgo": "duckduckbot.json", ...).
            _crawler(
                "duckduckgo",
                r"(?i)duckduckbot|duckassistbot",
                (),
                "search",
                "https://duckduckgo.com/duckduckgo-help-pages/results/duckduckbot",
            ),
            _crawler(
                "facebook",
                r"(?i)facebookexternalhit|facebookcatalog|meta-externalagent|meta-externalfetcher",
                (),
                "preview",
                "https://developers.facebook.com/docs/sharing/webmasters/web-crawlers/",
            ),
            _crawler(
                "openai",
                r"(?i)gptbot|chatgpt-user|oai-searchbot",
                (),
                "ai",
                "https://platform.openai.com/docs/bots",
            ),
        )
    }
)


# -- addresses -----------------------------------------------------------------------------------


def parse_ip(text: str) -> IPAddress | None:
    """The address in `text` (a bare IPv4/IPv6 address, `1.2.3.4:80`, `[::1]:80`), or None.

        parse_ip("[2001:db8::1]:443")  # IPv6Address('2001:db8::1')

    IPv4-mapped IPv6 addresses come back as IPv4, and a zone (`%eth0`) is dropped, so one client
    has one spelling. Anything else (`unknown`, `_hidden`, garbage) is None.
    """
    text = text.strip()
    if text.startswith("["):
        end = text.find("]")
        if end < 0 or not _is_port_suffix(text[end + 1 :]):
            return None
        text = text[1:end]
    elif text.count(":") == 1:
        text, _, port = text.partition(":")
        if not _is_port(port):
            return None
    text = text.partition("%")[0]
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def _is_port(text: str) -> bool:
    return 0 < len(text) <= 5 and text.isascii() and text.isdigit()


def _is_port_suffix(text: str) -> bool:
    return not text or (text[0] == ":" and _is_port(text[1:]))


def parse_networks(field: str, values: Iterable[Any]) -> tuple[IPNetwork, ...]:
    """CIDR strings (or bare addresses) as networks; a bad one is a `ConfigError` naming it."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise ConfigError(f"{field}: expected a list of networks such as '10.0.0.0/8', got {values!r}")
    networks = []
    for index, value in enumerate(values):
        try:
            if not isinstance(value, str):
                raise ValueError("not a string")
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError as exc:
            raise ConfigError(f"{field}[{index}]: not an IP network: {value!r} ({exc})") from None
    return tuple(networks)


def _forwarded_for(element: str) -> str:
    """The `for=` value of one RFC 7239 `Forwarded` element, unquoted ("" when it has none)."""
    for pair in element.split(";"):
        key, sep, value = pair.partition("=")
        if sep and key.strip().lower() == "for":
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1]
            return value
    return ""


def client_ip(
    peer: str | None, header_values: Sequence[str], trusted: tuple[IPNetwork, ...], forwarded: bool = False
) -> str | None:
    """The client's address: the direct peer, or, behind trusted proxies, the first untrusted hop.

        client_ip("10.0.0.5", ["66.249.66.1, 10.0.0.7"], (ip_network("10.0.0.0/8"),))  # "66.249.66.1"

    Arguments:
        peer: the address of the direct peer (the socket's other end).
        header_values: every value of the proxy header, in arrival order.
        trusted: the proxies whose header to believe; empty means the header is never read.
        forwarded: the header is RFC 7239 `Forwarded` (else `X-Forwarded-For`).

    The chain is walked from the right, because only the entries our own proxies appended can be
    believed; the walk stops at the first address that is not a trusted proxy. An entry that is
    not an address (garbage, `unknown`, an obfuscated `_hidden` name) where a trusted proxy should
    have written one, or more than `MAX_HOPS` trusted hops, makes the client unknown: None.
    """
    parsed = _peer(peer) if peer else None
    if parsed is None:
        return None
    ip, text = parsed
    if not trusted or not _within(ip, trusted):
        return text
    joined = ",".join(header_values)
    if not joined.strip():
        return text
    entries = joined.rsplit(",", MAX_HOPS)
    for hop, entry in enumerate(reversed(entries)):
        if hop == MAX_HOPS:
            return None
        found = parse_ip(_forwarded_for(entry) if forwarded else entry)
        if found is None:
            return None
        ip = found
        if not _within(ip, trusted):
            return str(ip)
    # Every hop is one of ours: the leftmost is the client (inside the trusted network).
    return str(ip)


@functools.lru_cache(maxsize=4096)
def _peer(peer: str) -> tuple[IPAddress, str] | None:
    # The server's own spelling of the peer (short, and repeated by every request of a client):
    # parsing it costs more than the rest of a cached verification, so it is memoised.
    ip = parse_ip(peer)
    return None if ip is None else (ip, str(ip))


def _within(ip: IPAddress, networks: tuple[IPNetwork, ...]) -> bool:
    return any(ip in network for network in networks)


def client_ip_from_scope(scope: Mapping[str, Any], trusted: tuple[IPNetwork, ...], header: bytes) -> str | None:
    """`client_ip` for an ASGI scope: `scope["client"]` and the raw proxy header."""
    client = scope.get("client")
    peer = client[0] if client else None
    values = [v.decode("latin-1") for k, v in scope.get("headers", ()) if k == header] if trusted else []
    return client_ip(peer, values, trusted, header == b"forwarded")


def client_ip_from_environ(environ: Mapping[str, Any], trusted: tuple[IPNetwork, ...], header: bytes) -> str | None:
    """`client_ip` for a WSGI environ: `REMOTE_ADDR` and the proxy header (`HTTP_...`)."""
    key = "HTTP_" + header.decode().upper().replace("-", "_")
    value = environ.get(key) if trusted else None
    return client_ip(environ.get("REMOTE_ADDR"), [value] if value else [], trusted, header == b"forwarded")


# -- published ranges ----------------------------------------------------------------------------


def load_ranges_file(path: str) -> list[str]:
    """The networks in a published ranges file: Google's/Bing's JSON, or a JSON list of CIDRs.

        load_ranges_file("googlebot.json")  # ["66.249.64.0/27", ..., "2001:4860:4801:10::/64", ...]

    Google, Bing, Apple, OpenAI and DuckDuckGo publish `{"prefixes": [{"ipv4Prefix": ...},
    {"ipv6Prefix": ...}]}`; a plain `["1.2.3.0/24", ...]` is accepted too.
    """
    try:
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"crawler_ranges: cannot read {path!r}: {exc}") from None
    items = document.get("prefixes") if isinstance(document, dict) else document
    if not isinstance(items, list):
        raise ConfigError(f"crawler_ranges: {path!r} has neither a 'prefixes' list nor a list of networks")
    networks = []
    for item in items:
        if isinstance(item, dict):
            value = item.get("ipv4Prefix") or item.get("ipv6Prefix") or item.get("ip_prefix") or item.get("ipv6_prefix")
        else:
            value = item
        if not isinstance(value, str):
            raise ConfigError(f"crawler_ranges: {path!r}: not a network: {item!r}")
        networks.append(value)
    return networks


class _RangeSet:
    """Networks merged into sorted intervals per family: membership is one binary search."""

    __slots__ = ("_starts", "_ends")

    def __init__(self, networks: Iterable[IPNetwork]) -> None:
        spans: dict[int, list[tuple[int, int]]] = {4: [], 6: []}
        for net in networks:
            spans[net.version].append((int(net.network_address), int(net.broadcast_address)))
        self._starts: dict[int, list[int]] = {}
        self._ends: dict[int, list[int]] = {}
        for version, found in spans.items():
            merged: list[list[int]] = []
            for start, end in sorted(found):
                if merged and start <= merged[-1][1] + 1:
                    merged[-1][1] = max(merged[-1][1], end)
                else:
                    merged.append([start, end])
            self._starts[version] = [s for s, _ in merged]
            self._ends[version] = [e for _, e in merged]

    def __contains__(self, ip: IPAddress) -> bool:
        value = int(ip)
        index = bisect.bisect_right(self._starts[ip.version], value) - 1
        return index >= 0 and value <= self._ends[ip.version][index]

    def __bool__(self) -> bool:
        return bool(self._starts[4] or self._starts[6])


# -- the resolver --------------------------------------------------------------------------------


class Resolver(Protocol):
    """What botguard asks DNS; give your own (a stub in tests, a caching resolver) as `Config(resolver=...)`.

    Both methods are called on a botguard worker thread, never on the event loop. Return an empty
    list when there is no such record; raise (any exception) when the lookup failed.
    """

    def reverse(self, ip: str) -> Sequence[str]:
        """The reverse (PTR) names of `ip`."""
        ...

    def forward(self, name: str) -> Sequence[str]:
        """The addresses (A and AAAA) of `name`."""
        ...


class SystemResolver:
    """The operating system's resolver (`/etc/hosts`, then DNS), through `socket`: the default."""

    def reverse(self, ip: str) -> list[str]:
        try:
            name, aliases, _ = socket.gethostbyaddr(ip)
        except socket.herror as exc:
            # h_errno 1 HOST_NOT_FOUND and 4 NO_DATA: the answer is "no such name".
            if exc.errno in (1, 4):
                return []
            raise
        except socket.gaierror as exc:
            if exc.errno in _NO_NAME:
                return []
            raise
        return [name, *aliases]

    def forward(self, name: str) -> list[str]:
        try:
            infos = socket.getaddrinfo(name, None, proto=socket.IPPROTO_TCP)
        except socket.gaierror as exc:
            if exc.errno in _NO_NAME:
                return []
            raise
        return [str(info[4][0]) for info in infos]


_NO_NAME = frozenset(
    code for code in (getattr(socket, "EAI_NONAME", None), getattr(socket, "EAI_NODATA", None)) if code is not None
)


# -- lookups, their cache, and the thread pool ---------------------------------------------------

CONFIRMED: Final = "confirmed"
REFUTED: Final = "refuted"
FAILED: Final = "failed"


@dataclass(frozen=True, slots=True)
class Lookup:
    """What DNS said about one address: a forward-confirmed name, a refutation, or a failure."""

    status: str
    name: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class Outcome:
    """Whether one claim from one address is proven, and why (for the log)."""

    verified: bool
    reason: str


class _Pool:
    """A few daemon threads for blocking lookups.

    Daemon threads, not a `ThreadPoolExecutor`: a lookup stuck in the system resolver must not
    hold up the process at exit, and a lookup can never be cancelled anyway.
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self._jobs: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._started = False
        self._lock = threading.Lock()

    def submit(self, job: Callable[[], None]) -> None:
        if not self._started:
            with self._lock:
                if not self._started:
                    for index in range(self._size):
                        threading.Thread(target=self._work, name=f"botguard-dns-{index}", daemon=True).start()
                    self._started = True
        self._jobs.put(job)

    def _work(self) -> None:
        while True:
            self._jobs.get()()


_pool = _Pool(_RESOLVER_THREADS)


def _after_fork() -> None:
    # A forked child (gunicorn --preload) has no pool threads: start a fresh pool on demand.
    global _pool
    _pool = _Pool(_RESOLVER_THREADS)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:200]


def _clean_name(name: str) -> str:
    return name.strip().rstrip(".").lower()


class Verifier:
    """Forward-confirmed reverse DNS for one config, with a per-address cache and single flight.

        verifier = Verifier(resolver=SystemResolver(), suffixes=("googlebot.com",), timeout=1.0)
        verifier.lookup_sync("66.249.66.1")  # Lookup("confirmed", "crawl-66-249-66-1.googlebot.com", ...)

    Arguments:
        resolver: asked for reverse names and their addresses, on a worker thread.
        suffixes: every domain of the crawlers being verified: only names under one of them are
            looked up forward (a stranger's name is refuted without a second lookup).
        timeout: seconds a request waits for a lookup; a lookup that runs longer counts as failed
            for that request, and its result, when it comes, is cached for the next ones.
        ttls: seconds a (confirmed, refuted, failed) lookup is cached.
        cache_size: addresses kept (an LRU that also expires by TTL).
        timer: the clock of the TTLs.
    """

    def __init__(
        self,
        resolver: Resolver,
        suffixes: Iterable[str],
        timeout: float = 1.0,
        ttls: tuple[float, float, float] = (86_400.0, 3_600.0, 60.0),
        cache_size: int = 10_000,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self.resolver = resolver
        self.suffixes = tuple(sorted({_clean_name(s) for s in suffixes}))
        self._dotted = tuple("." + s for s in self.suffixes)
        self.timeout = timeout
        self._ttl = {CONFIRMED: ttls[0], REFUTED: ttls[1], FAILED: ttls[2]}
        self._timer = timer
        self._cache: TLRUCache[str, Lookup] = TLRUCache(cache_size, self._expiry, timer=timer)
        self._lock = threading.Lock()
        self._pending: dict[str, Future[Lookup]] = {}
        # Lookups started (not cache hits, not joins): what a test counts to prove single flight.
        self.lookups = 0

    def _expiry(self, _ip: str, lookup: Lookup, now: float) -> float:
        return now + self._ttl[lookup.status]

    def under(self, name: str) -> bool:
        """True when `name` is one of the suffixes or a name under one of them."""
        return name in self.suffixes or name.endswith(self._dotted)

    def cached(self, ip: str) -> Lookup | None:
        """The cached lookup of `ip`, or None when there is none (or it expired)."""
        with self._lock:
            return self._cache.get(ip)

    def start(self, ip: str) -> Future[Lookup]:
        """The lookup of `ip` under way, started now unless one already is (single flight)."""
        with self._lock:
            found = self._cache.get(ip)
            if found is None:
                running = self._pending.get(ip)
                if running is not None:
                    return running
                if len(self._pending) >= _MAX_PENDING:
                    found = Lookup(FAILED, None, f"{_MAX_PENDING} lookups already in flight")
                else:
                    future: Future[Lookup] = Future()
                    self._pending[ip] = future
                    self.lookups += 1
        if found is not None:
            done: Future[Lookup] = Future()
            done.set_result(found)
            return done
        deadline = self._timer() + self.timeout
        _pool.submit(lambda: self._run(ip, future, deadline))
        return future

    def _run(self, ip: str, future: Future[Lookup], deadline: float) -> None:
        if self._timer() > deadline:
            # Queued behind slow lookups until nobody waits for it any more: do not add to the pile.
            result = Lookup(FAILED, None, "no resolver thread was free in time")
        else:
            try:
                result = self._resolve(ip)
            except BaseException as exc:  # the user's resolver: never let it kill a worker
                result = Lookup(FAILED, None, f"resolver raised {_describe(exc)}")
        with self._lock:
            self._cache[ip] = result
            self._pending.pop(ip, None)
        future.set_result(result)

    def _resolve(self, ip: str) -> Lookup:
        try:
            names = [_clean_name(n) for n in list(self.resolver.reverse(ip))[:_MAX_NAMES] if isinstance(n, str)]
        except Exception as exc:
            return Lookup(FAILED, None, f"reverse lookup failed ({_describe(exc)})")
        if not names:
            return Lookup(REFUTED, None, "no reverse name")
        candidates = [name for name in names if self.under(name)]
        if not candidates:
            return Lookup(REFUTED, None, f"reverse name {names[0][:100]!r} is not a verified crawler's")
        failure = None
        for name in candidates:
            try:
                addresses = self.resolver.forward(name)
            except Exception as exc:
                failure = f"forward lookup of {name[:100]!r} failed ({_describe(exc)})"
                continue
            if any(str(parse_ip(a)) == ip for a in addresses if isinstance(a, str)):
                return Lookup(CONFIRMED, name, f"{name[:100]} resolves back to {ip}")
        if failure is not None:
            return Lookup(FAILED, None, failure)
        return Lookup(REFUTED, None, f"{candidates[0][:100]!r} does not resolve back to {ip}")

    def _timed_out(self, ip: str) -> Lookup:
        result = Lookup(FAILED, None, f"no answer within {self.timeout:g}s")
        with self._lock:
            # The next requests from this address get the failure at once instead of each waiting
            # out the timeout; the lookup still running overwrites it when it answers.
            if ip in self._pending and self._cache.get(ip) is None:
                self._cache[ip] = result
        return result

    def lookup_sync(self, ip: str) -> Lookup:
        """The lookup of `ip`, waiting (blocking this thread) at most `timeout` seconds."""
        found = self.cached(ip)
        if found is not None:
            return found
        future = self.start(ip)
        try:
            return future.result(timeout=self.timeout)
        except FutureTimeout:
            return self._timed_out(ip)

    async def lookup_async(self, ip: str) -> Lookup:
        """The lookup of `ip`, awaiting it off the event loop for at most `timeout` seconds."""
        found = self.cached(ip)
        if found is not None:
            return found
        future = self.start(ip)
        if not future.done():
            loop = asyncio.get_running_loop()
            waiter: asyncio.Future[None] = loop.create_future()

            def wake(_: Future[Lookup]) -> None:
                try:
                    loop.call_soon_threadsafe(_set_done, waiter)
                except RuntimeError:
                    pass  # the loop is closed: nobody is waiting any more

            # A waiter of our own, not `asyncio.wrap_future`: timing out must not cancel the
            # shared lookup that other requests from this address are waiting for.
            future.add_done_callback(wake)
            try:
                await asyncio.wait_for(waiter, self.timeout)
            except TimeoutError:
                return self._timed_out(ip)
        return future.result()


def _set_done(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


# -- what a config verifies ----------------------------------------------------------------------


class _Claimed:
    """One crawler a config verifies: its compiled claim patterns, ranges and domains."""

    __slots__ = ("crawler", "patterns", "ranges", "domains", "dotted", "rule")

    def __init__(self, crawler: Crawler, index: int, ranges: Sequence[str], match_timeout: float) -> None:
        self.crawler = crawler
        field = f"verified_crawlers.{crawler.name}"
        self.patterns = PatternList(f"{field}.user_agents", crawler.user_agents, match_timeout)
        self.ranges = _RangeSet(parse_networks(f"{field}.ranges", (*crawler.ranges, *ranges)))
        self.domains = crawler.domains
        self.dotted = tuple("." + d for d in crawler.domains)
        self.rule = Rule(pattern="|".join(crawler.user_agents), index=index, source="verify", category=crawler.category)

    def owns(self, name: str) -> bool:
        return name in self.domains or name.endswith(self.dotted)

    def judge(self, ip: str, lookup: Lookup) -> Outcome:
        if lookup.status == CONFIRMED and lookup.name is not None:
            if self.owns(lookup.name):
                return Outcome(True, lookup.reason)
            return Outcome(False, f"{lookup.name[:100]!r} is not under {', '.join(self.domains)}")
        return Outcome(False, f"{lookup.status}: {lookup.reason}")


class Verification:
    """Everything one config needs to verify claims: who can be claimed, and the verifier.

    Built once per `Config` from its fields; raises `ConfigError` naming the field at fault.
    """

    __slots__ = ("claimed", "names", "verifier")

    def __init__(
        self,
        verify: Sequence[str],
        extra: Mapping[str, Crawler],
        ranges: Mapping[str, Sequence[str]],
        resolver: Resolver | None,
        timeout: float,
        ttls: tuple[float, float, float],
        cache_size: int,
        match_timeout: float,
    ) -> None:
        table = {**CRAWLERS, **extra}
        claimed = []
        for index, name in enumerate(verify):
            crawler = table.get(name)
            if crawler is None:
                raise ConfigError(f"verify[{index}]: unknown crawler {name!r}; known: {sorted(table)} (add yours in verified_crawlers)")
            entry = _Claimed(crawler, index, ranges.get(name, ()), match_timeout)
            if not entry.domains and not entry.ranges:
                raise ConfigError(
                    f"verify[{index}]: {name!r} publishes IP addresses only: give its list in "
                    f"crawler_ranges (see {crawler.docs or 'its operator documentation'})"
                )
            claimed.append(entry)
        for name in ranges:
            if name not in verify:
                raise ConfigError(f"crawler_ranges: {name!r} is not in verify {list(verify)}")
        self.claimed = tuple(claimed)
        self.names = {entry.crawler.name: entry for entry in claimed}
        self.verifier = Verifier(
            SystemResolver() if resolver is None else resolver,
            (d for entry in claimed for d in entry.domains),
            timeout,
            ttls,
            cache_size,
        )

    def claim(self, text: str, budget: SearchBudget | None = None) -> tuple[_Claimed | None, bool]:
        """The first verified crawler (in `verify` order) `text` claims to be, and whether a search timed out."""
        timed_out = False
        for entry in self.claimed:
            rule, entry_timed_out = entry.patterns.search(text, budget)
            timed_out = timed_out or entry_timed_out
            if rule is not None:
                return entry, timed_out
        return None, timed_out

    def _early(self, ip: str | None, entry: _Claimed) -> Outcome | None:
        """The outcome when it needs no DNS (no address, or the published ranges settle it), else None."""
        if ip is None:
            return Outcome(False, "client address unknown")
        if entry.ranges:
            address = parse_ip(ip)
            if address is not None and address in entry.ranges:
                return Outcome(True, f"{ip} is in {entry.crawler.name}'s published ranges")
        if not entry.domains:
            return Outcome(False, f"{ip} is not in {entry.crawler.name}'s published ranges")
        return None

    def verify_sync(self, ip: str | None, name: str) -> Outcome:
        """Whether the claim to be crawler `name` from `ip` is proven, blocking at most the timeout."""
        entry = self.names[name]
        early = self._early(ip, entry)
        if early is not None:
            return early
        assert ip is not None  # `_early` answers for a missing address
        return entry.judge(ip, self.verifier.lookup_sync(ip))

    async def verify_async(self, ip: str | None, name: str) -> Outcome:
        """Whether the claim to be crawler `name` from `ip` is proven, awaiting at most the timeout."""
        entry = self.names[name]
        early = self._early(ip, entry)
        if early is not None:
            return early
        assert ip is not None  # `_early` answers for a missing address
        return entry.judge(ip, await self.verifier.lookup_async(ip))


def normalize_crawlers(value: Any) -> Mapping[str, Crawler]:
    """`Config.verified_crawlers` as given (a mapping of names to `Crawler`s or tables) → Crawlers."""
    if value is None:
        return MappingProxyType({})
    if not isinstance(value, Mapping):
        raise ConfigError(f"verified_crawlers: expected a table of crawler names, got {type(value).__name__}")
    crawlers = {}
    for name, spec in value.items():
        field = f"verified_crawlers.{name}"
        if not isinstance(name, str) or not name:
            raise ConfigError(f"verified_crawlers: a crawler name must be a non-empty string, got {name!r}")
        if isinstance(spec, Crawler):
            spec = {
                "user_agents": spec.user_agents, "domains": spec.domains, "ranges": spec.ranges,
                "category": spec.category, "docs": spec.docs,
            }
        if not isinstance(spec, Mapping):
            raise ConfigError(f"{field}: expected a table with user_agents and domains or ranges, got {spec!r}")
        unknown = set(spec) - {"user_agents", "domains", "ranges", "category", "docs"}
        if unknown:
            raise ConfigError(f"{field}: unknown key(s) {sorted(map(str, unknown))}")
        user_agents = _strings(f"{field}.user_agents", spec.get("user_agents"))
        if not user_agents:
            raise ConfigError(f"{field}.user_agents: give at least one regex")
        domains = tuple(_domain(f"{field}.domains[{i}]", d) for i, d in enumerate(_strings(f"{field}.domains", spec.get("domains", ()))))
        ranges = _strings(f"{field}.ranges", spec.get("ranges", ()))
        parse_networks(f"{field}.ranges", ranges)
        category = spec.get("category")
        if category is not None and not isinstance(category, str):
            raise ConfigError(f"{field}.category: expected a string, got {category!r}")
        docs = spec.get("docs", "")
        if not isinstance(docs, str):
            raise ConfigError(f"{field}.docs: expected a string, got {docs!r}")
        crawlers[name] = Crawler(name, user_agents, domains, ranges, category, docs)
    return MappingProxyType(crawlers)


def normalize_ranges(value: Any) -> Mapping[str, tuple[str, ...]]:
    """`Config.crawler_ranges` (crawler name → a file or files) → name → the networks, read now."""
    if value is None:
        return MappingProxyType({})
    if not isinstance(value, Mapping):
        raise ConfigError(f"crawler_ranges: expected a table of crawler name -> file(s), got {type(value).__name__}")
    ranges = {}
    for name, files in value.items():
        paths = (files,) if isinstance(files, (str, os.PathLike)) else files
        if not isinstance(paths, Iterable):
            raise ConfigError(f"crawler_ranges.{name}: expected a file name or a list of them, got {files!r}")
        networks: list[str] = []
        for path in paths:
            if not isinstance(path, (str, os.PathLike)):
                raise ConfigError(f"crawler_ranges.{name}: not a file name: {path!r}")
            networks.extend(load_ranges_file(os.fspath(path)))
        parse_networks(f"crawler_ranges.{name}", networks)
        ranges[name] = tuple(networks)
    return MappingProxyType(ranges)


def _strings(field: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise ConfigError(f"{field}: expected a list of strings, got {value!r}")
    items = tuple(value)
    for index, item in enumerate(items):
        if not isinstance(item, str):
            raise ConfigError(f"{field}[{index}]: expected a string, got {item!r}")
    return items


_DOMAIN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-.")


def _domain(field: str, value: str) -> str:
    domain = _clean_name(value).lstrip(".")
    if not domain or not set(domain) <= _DOMAIN_CHARS or "" in domain.split(".") or len(domain) > 253:
        raise ConfigError(f"{field}: not a DNS domain: {value!r}")
    return domain
