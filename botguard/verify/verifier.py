"""Forward-confirmed reverse DNS per address: the lookups, their cache, and single flight."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Final

from cachetools import TLRUCache

from . import dns
from .address import IPAddress, parse_ip
from .dns import Resolver, clean_name, describe
from .limits import Admission

__all__ = ["BUSY", "CONFIRMED", "FAILED", "REFUTED", "Lookup", "Verifier"]

# Forward-confirm at most this many reverse names of one address.
_MAX_NAMES: Final = 4
# Lookups queued or running at once per verifier; past that a claim fails at once (and is refused)
# instead of queueing without bound behind a resolver that has stopped answering.
_MAX_PENDING: Final = 1024

CONFIRMED: Final = "confirmed"
REFUTED: Final = "refuted"
FAILED: Final = "failed"
# No answer yet because botguard is busy (no thread free in time, the client's network already
# has its share of lookups under way, too many threads waiting): never cached, since it says
# nothing about the address; the claim is refused for now, with a Retry-After.
BUSY: Final = "busy"


@dataclass(frozen=True, slots=True)
class Lookup:
    """What DNS said about one address: a forward-confirmed name, a refutation, a failure, or
    nothing yet because botguard is busy (`BUSY`)."""

    status: str
    name: str | None
    reason: str


class _Flight:
    """One lookup asked for: its result to come, until when someone waits for it, and whether a
    thread has started it or it was given up on (the job `dns.submit` queues)."""

    __slots__ = ("verifier", "ip", "address", "future", "deadline", "started", "ended")

    def __init__(self, verifier: Verifier, ip: str, address: IPAddress, deadline: float) -> None:
        self.verifier = verifier
        self.ip = ip
        self.address = address
        self.future: Future[Lookup] = Future()
        self.deadline = deadline
        self.started = False
        self.ended = False

    def run(self) -> None:
        self.verifier._run(self)

    def drop(self) -> None:
        self.verifier._give_up(self, "too many lookups queued")


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
        cache_size: addresses kept, confirmed ones and the others apart (each an LRU that also
            expires by TTL), so that a flood of refuted addresses never evicts a confirmed one.
        max_waiting: threads that may wait for lookups at once in `lookup_sync` (None: no cap);
            past it a thread is answered `BUSY` at once while the lookup goes on without it.
        admission: how many lookups a network may have under way and start (`Admission()`).
        timer: the clock of the TTLs.
    """

    def __init__(
        self,
        resolver: Resolver,
        suffixes: Iterable[str],
        timeout: float = 1.0,
        ttls: tuple[float, float, float] = (86_400.0, 3_600.0, 60.0),
        cache_size: int = 10_000,
        max_waiting: int | None = None,
        admission: Admission | None = None,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self.resolver = resolver
        self.suffixes = tuple(sorted({clean_name(s) for s in suffixes}))
        self._dotted = tuple("." + s for s in self.suffixes)
        self.timeout = timeout
        self._ttl = {CONFIRMED: ttls[0], REFUTED: ttls[1], FAILED: ttls[2]}
        self._timer = timer
        self._confirmed: TLRUCache[str, Lookup] = TLRUCache(cache_size, self._expiry, timer=timer)
        self._others: TLRUCache[str, Lookup] = TLRUCache(cache_size, self._expiry, timer=timer)
        self._lock = threading.Lock()
        self._pending: dict[str, _Flight] = {}
        self._admission = Admission(timer=timer) if admission is None else admission
        self.max_waiting = max_waiting
        self._waiting = None if max_waiting is None else threading.Semaphore(max_waiting)

    def _expiry(self, _ip: str, lookup: Lookup, now: float) -> float:
        return now + self._ttl[lookup.status]

    def under(self, name: str) -> bool:
        """True when `name` is one of the suffixes or a name under one of them."""
        return name in self.suffixes or name.endswith(self._dotted)

    def cached(self, ip: str) -> Lookup | None:
        """The cached lookup of `ip`, or None when there is none (or it expired)."""
        with self._lock:
            return self._cached(ip)

    def _cached(self, ip: str) -> Lookup | None:
        found = self._confirmed.get(ip)
        return self._others.get(ip) if found is None else found

    def _store(self, ip: str, lookup: Lookup) -> None:
        if lookup.status == CONFIRMED:
            self._confirmed[ip] = lookup
            self._others.pop(ip, None)
        else:
            self._others[ip] = lookup

    def start(self, ip: str) -> Future[Lookup]:
        """The lookup of `ip` under way, started now unless one already is (single flight), or a
        `BUSY` answer when the lookup may not start now."""
        address = parse_ip(ip)
        now = self._timer()
        with self._lock:
            found = self._cached(ip)
            if found is None:
                running = self._pending.get(ip)
                if running is not None:
                    # Someone else waits for it now: it must not be dropped before this one's deadline.
                    running.deadline = max(running.deadline, now + self.timeout)
                    return running.future
                if address is None:
                    found = Lookup(REFUTED, None, f"{ip[:60]!r} is not an address")
                elif len(self._pending) >= _MAX_PENDING:
                    found = Lookup(BUSY, None, f"{_MAX_PENDING} lookups already under way")
                else:
                    refusal = self._admission.enter(address)
                    if refusal is not None:
                        found = Lookup(BUSY, None, refusal)
                    else:
                        flight = self._pending[ip] = _Flight(self, ip, address, now + self.timeout)
        if found is not None:
            done: Future[Lookup] = Future()
            done.set_result(found)
            return done
        dns.submit(flight)
        return flight.future

    def _run(self, flight: _Flight) -> None:
        with self._lock:
            if flight.ended:
                return  # given up on while it waited in the queue
            # Queued behind slow lookups until nobody waits for it any more: do not add to the pile.
            late = self._timer() > flight.deadline
            if late:
                self._end(flight)
            else:
                flight.started = True
        if late:
            flight.future.set_result(Lookup(BUSY, None, "no resolver thread was free in time"))
            return
        try:
            result = self._resolve(flight.ip)
        except BaseException as exc:  # the user's resolver: never let it kill a worker
            result = Lookup(FAILED, None, f"resolver raised {describe(exc)}")
        with self._lock:
            self._store(flight.ip, result)
            self._end(flight)
        flight.future.set_result(result)

    def _give_up(self, flight: _Flight, reason: str) -> Lookup:
        """End a lookup no thread has started: nothing cached (a busy pool says nothing about the
        address), and its network's share freed at once for the next claim."""
        result = Lookup(BUSY, None, reason)
        with self._lock:
            if flight.started or flight.ended:
                return result
            self._end(flight)
        flight.future.set_result(result)
        return result

    def _end(self, flight: _Flight) -> None:
        # Under the lock.
        flight.ended = True
        if self._pending.get(flight.ip) is flight:
            del self._pending[flight.ip]
        self._admission.leave(flight.address)

    def _resolve(self, ip: str) -> Lookup:
        try:
            names = [clean_name(n) for n in list(self.resolver.reverse(ip))[:_MAX_NAMES] if isinstance(n, str)]
        except Exception as exc:
            return Lookup(FAILED, None, f"reverse lookup failed ({describe(exc)})")
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
                failure = f"forward lookup of {name[:100]!r} failed ({describe(exc)})"
                continue
            if any(str(parse_ip(a)) == ip for a in addresses if isinstance(a, str)):
                return Lookup(CONFIRMED, name, f"{name[:100]} resolves back to {ip}")
        if failure is not None:
            return Lookup(FAILED, None, failure)
        return Lookup(REFUTED, None, f"{candidates[0][:100]!r} does not resolve back to {ip}")

    def _timed_out(self, ip: str) -> Lookup:
        busy = f"no resolver thread was free within {self.timeout:g}s"
        with self._lock:
            flight = self._pending.get(ip)
            if flight is None:  # it answered just now
                found = self._cached(ip)
                if found is not None:
                    return found
                return Lookup(BUSY, None, busy)
            if not flight.started:
                # Still queued: the pool was busy, which says nothing about this address. Given up
                # on unless someone else still waits for it.
                if self._timer() < flight.deadline:
                    return Lookup(BUSY, None, busy)
        if not flight.started:
            return self._give_up(flight, busy)
        with self._lock:
            result = Lookup(FAILED, None, f"no answer within {self.timeout:g}s")
            # This address's DNS is slow: the next requests from it get the failure at once
            # instead of each waiting out the timeout; the running lookup overwrites it when it answers.
            if self._cached(ip) is None:
                self._others[ip] = result
        return result

    def lookup_sync(self, ip: str) -> Lookup:
        """The lookup of `ip`, waiting (blocking this thread) at most `timeout` seconds; `BUSY` at
        once when `max_waiting` threads already wait (the lookup goes on without this one)."""
        found = self.cached(ip)
        if found is not None:
            return found
        future = self.start(ip)
        if future.done():
            return future.result()
        waiting = self._waiting
        if waiting is not None and not waiting.acquire(blocking=False):
            return Lookup(BUSY, None, f"{self.max_waiting} threads already wait for DNS")
        try:
            return future.result(timeout=self.timeout)
        except FutureTimeout:
            return self._timed_out(ip)
        finally:
            if waiting is not None:
                waiting.release()

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
