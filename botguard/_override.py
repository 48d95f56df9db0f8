"""The hook every `Guard` consults per request: a config forced on every middleware for a while.

`botguard.testing` is the public face; this module is the mechanism, kept free of imports so
the guard can read it cheaply. Overrides live on two layers and the narrower one wins:

- the context layer, a `ContextVar`: the thread or task that entered the override, and whatever
  runs in a copy of its context (tasks it creates, `httpx.ASGITransport`, Starlette's
  `TestClient`, `asyncio.to_thread`). Concurrent tests in other threads or tasks never see it.
- the process layer, a stack shared by every thread: for servers that run in threads started
  elsewhere (uvicorn in a thread, Django's live server). A process-wide override also sets the
  context layer where it is entered, so the most recent one wins there.

While no override is entered anywhere, `OVERRIDES.count` is 0 and a guard pays one attribute
read per request.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from typing import Any

__all__ = ["OVERRIDES", "Entry", "current_entry", "enter", "forced", "forced_entry", "leave", "recording_guards"]


class _Overrides:
    __slots__ = ("count", "process_top")

    def __init__(self) -> None:
        # Entered and not yet left, anywhere in the process (both layers, and probes).
        self.count = 0
        self.process_top: Entry | None = None


OVERRIDES = _Overrides()


class Entry:
    """One entered override: what it forces (None: each guard its own config) and where it sits."""

    __slots__ = ("forced", "parent", "alive", "owner", "token", "in_force")

    def __init__(self, forced: Any, parent: Entry | None, owner: object) -> None:
        self.forced = forced
        self.parent = parent
        self.alive = True
        self.owner = owner
        self.token: Token[Entry | None] | None = None
        # What the guard builds from `forced` to put it in force, kept for the entry's life (one
        # build per override, not per request; dropped with the entry when the override ends).
        self.in_force: Any = None


_lock = threading.Lock()
_context: ContextVar[Entry | None] = ContextVar("botguard_override", default=None)
_process: list[Entry] = []
_probe: ContextVar[list[Any] | None] = ContextVar("botguard_probe", default=None)


def enter(forced: Any, *, process_wide: bool, owner: object) -> Entry:
    """Start forcing `forced` (a `(config, cache)` pair, or None for each guard's own config)."""
    entry = Entry(forced, _context.get(), owner)
    with _lock:
        OVERRIDES.count += 1
        if process_wide:
            _process.append(entry)
            OVERRIDES.process_top = entry
    entry.token = _context.set(entry)
    return entry


def leave(entry: Entry) -> None:
    """Stop `entry`: whatever it hid is in force again, in every context that copied it too."""
    if not entry.alive:
        return
    # Dead first: a context that copied this entry (a task still running) skips it from now on.
    entry.alive = False
    if entry.token is not None:
        try:
            _context.reset(entry.token)
        except ValueError:
            # Left in another context than it was entered in (an async fixture's teardown runs
            # in a new task); the entry is dead, so the context it was set in skips it anyway.
            pass
    with _lock:
        OVERRIDES.count -= 1
        if any(e is entry for e in _process):
            _process[:] = [e for e in _process if e is not entry]
            OVERRIDES.process_top = _process[-1] if _process else None


def current_entry(owner: object) -> Entry | None:
    """The most recent live entry of `owner` in this context, if any."""
    entry = _context.get()
    while entry is not None and (entry.owner is not owner or not entry.alive):
        entry = entry.parent
    return entry


def forced(guard: object) -> Any:
    """What `guard` must enforce now: a `(config, cache)` pair, or None for its own config."""
    entry = forced_entry(guard)
    return None if entry is None else entry.forced


def forced_entry(guard: object) -> Entry | None:
    """The entry whose `forced` `guard` must enforce now (None, or an entry forcing None: its own
    config)."""
    probe = _probe.get()
    if probe is not None:
        probe.append(guard)
    entry = _context.get()
    while entry is not None and not entry.alive:
        entry = entry.parent
    if entry is None:
        entry = OVERRIDES.process_top
    return entry


@contextmanager
def recording_guards() -> Iterator[list[Any]]:
    """Collect every guard that decides a request in this context (for `assert_blocked`)."""
    seen: list[Any] = []
    with _lock:
        OVERRIDES.count += 1
    token = _probe.set(seen)
    try:
        yield seen
    finally:
        _probe.reset(token)
        with _lock:
            OVERRIDES.count -= 1
