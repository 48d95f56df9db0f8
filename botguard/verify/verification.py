"""What one config verifies: which crawlers can be claimed, and whether a claim from an address holds."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .._errors import ConfigError
from .._patterns import PatternList, SearchBudget
from .._rulesets import Rule
from .address import parse_ip, parse_networks
from .crawlers import CRAWLERS, Crawler
from .dns import Resolver, SystemResolver
from .ranges import RangeSet
from .verifier import BUSY, CONFIRMED, Lookup, Verifier

__all__ = ["Outcome", "Verification"]


@dataclass(frozen=True, slots=True)
class Outcome:
    """Whether one claim from one address is proven, and why (for the log).

    `busy`: unproven only because botguard could not ask DNS now (see `BUSY`); worth a retry.
    """

    verified: bool
    reason: str
    busy: bool = False


class _Claimed:
    """One crawler a config verifies: its compiled claim patterns, ranges and domains."""

    __slots__ = ("crawler", "patterns", "ranges", "domains", "dotted", "rule")

    def __init__(self, crawler: Crawler, index: int, ranges: Sequence[str], match_timeout: float) -> None:
        self.crawler = crawler
        field = f"verified_crawlers.{crawler.name}"
        self.patterns = PatternList(f"{field}.user_agents", crawler.user_agents, match_timeout)
        self.ranges = RangeSet(parse_networks(f"{field}.ranges", (*crawler.ranges, *ranges)))
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
        return Outcome(False, f"{lookup.status}: {lookup.reason}", lookup.status == BUSY)


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
        max_waiting: int | None = None,
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
            max_waiting,
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
