"""What botguard asks DNS, and the few daemon threads that ask it off the request's path."""

from __future__ import annotations

import collections
import os
import socket
import threading
from collections.abc import Sequence
from typing import Final, Protocol

__all__ = ["Job", "Resolver", "SystemResolver", "clean_name", "describe", "submit"]

_RESOLVER_THREADS: Final = 8
# Lookups waiting for a thread, in all: past it the oldest is dropped (answered "busy").
_QUEUED: Final = 4096


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


class Job(Protocol):
    """A lookup for the threads: `run` it, or `drop` it unrun when the queue is full."""

    def run(self) -> None: ...

    def drop(self) -> None: ...


class _Pool:
    """A few daemon threads for blocking lookups, and their queue.

    Daemon threads, not a `ThreadPoolExecutor`: a lookup stuck in the system resolver must not
    hold up the process at exit, and a lookup can never be cancelled anyway.

    Newest first: when every thread is held (a flood of lookups that answer slowly), the lookup
    asked for last still has a request waiting for it, while the oldest have mostly been given
    up on; first in, first out would serve those first and the fresh one too late. The queue
    is bounded: past `limit` jobs the oldest is dropped.
    """

    def __init__(self, size: int, limit: int = _QUEUED) -> None:
        self._size = size
        self._limit = limit
        self._jobs: collections.deque[Job] = collections.deque()
        self._ready = threading.Condition()
        self._started = False

    def submit(self, job: Job) -> None:
        dropped = None
        with self._ready:
            if not self._started:
                for index in range(self._size):
                    threading.Thread(target=self._work, name=f"botguard-dns-{index}", daemon=True).start()
                self._started = True
            self._jobs.append(job)
            if len(self._jobs) > self._limit:
                dropped = self._jobs.popleft()
            self._ready.notify()
        if dropped is not None:
            dropped.drop()

    def _work(self) -> None:
        while True:
            with self._ready:
                while not self._jobs:
                    self._ready.wait()
                job = self._jobs.pop()
            job.run()


_pool = _Pool(_RESOLVER_THREADS)


def _after_fork() -> None:
    # A forked child (gunicorn --preload) has no pool threads: start a fresh pool on demand.
    global _pool
    _pool = _Pool(_RESOLVER_THREADS)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)


def submit(job: Job) -> None:
    """Run `job` on one of the lookup threads (started on first use, and again after a fork)."""
    _pool.submit(job)


def describe(exc: BaseException) -> str:
    """An exception in one short line, for a lookup's reason."""
    return f"{type(exc).__name__}: {exc}"[:200]


def clean_name(name: str) -> str:
    """A DNS name as compared: no surrounding space, no root dot, lower case."""
    return name.strip().rstrip(".").lower()
