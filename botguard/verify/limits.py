"""How many lookups one network may have under way, and start per second.

Fresh addresses are cheap for whoever sends fake claims: an IPv6 /64 holds 2**64 of them, and the
reverse zone of their own network answers as slowly as they like. Counted per network, such a
flood takes a few of the lookup threads, never all of them, so a real crawler's lookup from
another network still runs at once; and all the lookups of a process are bounded by a rate. A
claim that is not admitted is refused for now, never cached: a busy resolver is no evidence
against an address.
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections.abc import Callable
from typing import Final

from .address import IPAddress

__all__ = ["Admission", "networks_of"]

# Lookups under way at once per /24 (IPv4) or /64 (IPv6): one host's share, since a /64 is
# usually one host. And per /16 or /48: a /48 is what a tunnel broker hands out with its
# reverse zone delegated, so one attacker holds 65,536 /64s.
PER_NETWORK: Final = 2
PER_WIDE_NETWORK: Final = 4
# Lookups started in all: a burst, then so many a second; what one process asks of DNS at most.
TOTAL_BURST: Final = 200.0
TOTAL_RATE: Final = 100.0

Network = tuple[int, int, int]  # (IP version, prefix length, network number)


def networks_of(ip: IPAddress) -> tuple[Network, Network]:
    """The /24 and /16 of an IPv4 address, or the /64 and /48 of an IPv6 one, as hashable keys."""
    value = int(ip)
    if ip.version == 4:
        return (4, 24, value >> 8), (4, 16, value >> 16)
    return (6, 64, value >> 64), (6, 48, value >> 80)


class _Bucket:
    """A token bucket: `burst` at once, then `rate` a second."""

    __slots__ = ("tokens", "stamp")

    def __init__(self, burst: float, now: float) -> None:
        self.tokens = burst
        self.stamp = now

    def take(self, rate: float, burst: float, now: float) -> bool:
        self.tokens = min(burst, self.tokens + (now - self.stamp) * rate)
        self.stamp = now
        if self.tokens < 1.0:
            return False
        self.tokens -= 1.0
        return True


class Admission:
    """Decides whether a lookup of an address may start now; counts the lookups under way.

        admission = Admission()
        refusal = admission.enter(ip)   # None: admitted (call `leave(ip)` when it ends)

    Thread-safe. The numbers are the module's constants unless given.
    """

    def __init__(
        self,
        per_network: int = PER_NETWORK,
        per_wide_network: int = PER_WIDE_NETWORK,
        total_rate: tuple[float, float] = (TOTAL_RATE, TOTAL_BURST),
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self._limits = (per_network, per_wide_network)
        self._total_rate = total_rate
        self._timer = timer
        self._lock = threading.Lock()
        self._under_way: dict[Network, int] = {}
        self._total = _Bucket(total_rate[1], timer())

    def enter(self, ip: IPAddress) -> str | None:
        """None when a lookup of `ip` may start (counted until `leave`), else why not."""
        narrow, wide = networks_of(ip)
        now = self._timer()
        with self._lock:
            for network, limit in zip((narrow, wide), self._limits):
                if self._under_way.get(network, 0) >= limit:
                    return f"{limit} lookups from {_spell(network)} already under way"
            if not self._total.take(*self._total_rate, now):
                return f"too many lookups (more than {self._total_rate[0]:g} a second)"
            for network in (narrow, wide):
                self._under_way[network] = self._under_way.get(network, 0) + 1
        return None

    def leave(self, ip: IPAddress) -> None:
        """A lookup admitted by `enter(ip)` has ended."""
        with self._lock:
            for network in networks_of(ip):
                left = self._under_way[network] - 1
                if left:
                    self._under_way[network] = left
                else:
                    del self._under_way[network]


def _spell(network: Network) -> str:
    version, length, number = network
    if version == 4:
        return str(ipaddress.IPv4Network((number << (32 - length), length)))
    return str(ipaddress.IPv6Network((number << (128 - length), length)))
