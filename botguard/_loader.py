"""`ConfigLoader`: a config from a file, a URL or a dict, kept fresh, with a stable identity.

Each `Config` owns a verdict cache, so a loader that handed out a new object for unchanged content
would give every read a new cache: Kong 0.12.3's leak. A loader here builds a new `Config` only
when the content's digest changes, and "keep forever" is `None`, never a number.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from numbers import Real
from typing import TYPE_CHECKING, Any, Protocol

from ._observe import record_reload
from ._config import _ALIASES, Config
from ._errors import ConfigError
from ._sources import _TOO_DEEP, _FileSource, _MappingSource, _UrlSource

if TYPE_CHECKING:
    import httpx

__all__ = ["ConfigLoader", "DEFAULT_TTL", "DEFAULT_TIMEOUT", "DEFAULT_MAX_BYTES"]

logger = logging.getLogger("botguard")

DEFAULT_TTL = 30.0
DEFAULT_TIMEOUT = 10.0
# A config of 5,000 patterns is about 200 KiB of JSON; Kong's whole built-in list is 100 KiB.
DEFAULT_MAX_BYTES = 4 * 1024 * 1024
# How long the request that finds a local file changed waits for its reload, in seconds: a usual
# file is read, parsed and built well within it, and is in force for that request already; a
# large one (5,000 patterns compile for seconds) is built on in the background meanwhile.
LOCAL_RELOAD_WAIT = 0.05
Clock = Callable[[], float]


def _check_ttl(ttl: Any) -> float | None:
    """`ttl` as seconds between checks, or None for "load once, keep forever" (None, 0 or infinity)."""
    if isinstance(ttl, bool) or (ttl is not None and not isinstance(ttl, Real)):
        raise ConfigError(f"ttl: expected seconds (a number) or None, got {ttl!r}")
    if ttl is None:
        return None
    seconds = float(ttl)
    if math.isnan(seconds) or seconds < 0:
        raise ConfigError(f"ttl: expected seconds of at least 0 (0 or None: load once), got {ttl!r}")
    # 0 is Kong's spelling of "forever". Kong stored it as a number and computed a negative
    # remaining time from it; here forever is None, which no subtraction can produce.
    if seconds == 0 or math.isinf(seconds):
        return None
    return seconds


class _Source(Protocol):
    """Where raw config bytes come from; `fetch` returns None when the source says "not modified"."""

    name: str
    local: bool  # a local file (or a mapping), whose check `get` waits for briefly; not a URL

    def worth_fetching(self) -> bool:
        """Whether a fetch may find something new; cheap and non-blocking (it runs on a request)."""
        ...

    def fetch(self) -> tuple[bytes, object] | None: ...

    def remember(self, token: object) -> None: ...

    def parse(self, data: bytes) -> Any: ...

    def close(self) -> None: ...

    def after_fork(self) -> None: ...


class ConfigLoader:
    """Hands out the `Config` in force, re-checking its source at most once per `ttl` seconds.

        loader = ConfigLoader.from_file("botguard.toml", ttl=30)
        app = BotGuardMiddleware(app, config=loader)

    Build one with `from_file`, `from_url` or `from_mapping`. `get()` returns the same object while
    the content is unchanged; it never raises and never waits for the network. A failed reload
    keeps the last good config, logs one warning on the `botguard` logger and is retried a `ttl` later.
    """

    __slots__ = (
        "_config", "_due", "_ttl", "_clock", "_lock", "_source", "_raw_digest", "_digest", "_closed",
        "__weakref__",
    )

    def __init__(self, source: _Source, *, ttl: float | None, clock: Clock = time.monotonic) -> None:
        self._ttl = _check_ttl(ttl)
        self._clock = clock
        self._source = source
        self._closed = False
        # Held by whoever is checking the source; `get` never blocks on it.
        self._lock = threading.Lock()
        try:
            fetched = source.fetch()
            if fetched is None:
                raise ConfigError(f"{source.name}: the source answered 'not modified' to a first request")
            data, token = fetched
            mapping = settings_table(source.parse(data))
            self._digest = _canonical_digest(source.name, mapping)
            self._config = _build(source.name, mapping)
        except BaseException:
            source.close()
            raise
        self._raw_digest = hashlib.sha256(data).digest()
        source.remember(token)
        self._due: float | None = None if self._ttl is None else clock() + self._ttl
        _LIVE.add(self)

    @classmethod
    def from_file(
        cls, path: str | os.PathLike[str], ttl: float | None = DEFAULT_TTL, *, clock: Clock = time.monotonic
    ) -> ConfigLoader:
        """A loader for a `.toml` or `.json` file, re-checked (one `os.stat`) at most every `ttl` seconds.

            loader = ConfigLoader.from_file("botguard.toml", ttl=30)

        Arguments:
            path: the file; its extension, `.toml` or `.json`, picks the parser.
            ttl: seconds between checks; None or 0 loads once and keeps the config forever.
            clock: a monotonic clock in seconds (tests pass a frozen one).

        The file is re-read only when its mtime, size or inode changed, and a new `Config` is built
        only when the settings changed. Replace the file atomically (write, then rename) so a
        reader never sees half of it; a half-written file is a failed reload, not a crash.
        """
        return cls(_FileSource(path), ttl=ttl, clock=clock)

    @classmethod
    def from_url(
        cls,
        url: str,
        ttl: float | None = DEFAULT_TTL,
        client: httpx.Client | None = None,
        headers: Mapping[str, str] | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        max_bytes: int = DEFAULT_MAX_BYTES,
        clock: Clock = time.monotonic,
    ) -> ConfigLoader:
        """A loader for JSON served over HTTP(S), refreshed in a background thread every `ttl` seconds.

            loader = ConfigLoader.from_url("https://rules.internal/botguard.json", ttl=60,
                                           headers={"Authorization": "Bearer ..."})

        Arguments:
            url: an `http://` or `https://` URL answering a JSON object of `Config` fields.
            ttl: seconds between refreshes; None or 0 loads once and keeps the config forever.
            client: an `httpx.Client` to use (yours to close); None makes one the loader owns.
            headers: extra request headers, such as a bearer token.
            timeout: seconds a whole fetch may take, from connecting to the body's last byte
                (redirects included); a fetch still running then is abandoned and fails.
            max_bytes: the largest answer accepted (after decompression); larger fails.
            clock: a monotonic clock in seconds (tests pass a frozen one).

        The first load happens here and raises `ConfigError` on any failure. Refreshes send
        `If-None-Match`/`If-Modified-Since`, so an unchanged config costs the server a 304.
        Redirects are followed only within the URL's origin (scheme, host and port), so `headers`
        never reach another host; a redirect elsewhere is a failed load.
        """
        return cls(_UrlSource(url, client, headers, timeout, max_bytes), ttl=ttl, clock=clock)

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any]) -> ConfigLoader:
        """A loader that always returns the one `Config` built from `mapping`.

            loader = ConfigLoader.from_mapping({"deny": ["(?i)scrapy"]})
        """
        return cls(_MappingSource(mapping), ttl=None)

    @property
    def ttl(self) -> float | None:
        """Seconds between checks of the source; None means loaded once, kept forever."""
        return self._ttl

    @property
    def source(self) -> str:
        """The file path or URL (without credentials or query string) the config comes from."""
        return self._source.name

    def remaining(self) -> float | None:
        """Seconds until the next check is due (0 or less: due now); None: never."""
        due = self._due
        return None if due is None else due - self._clock()

    def get(self) -> Config:
        """The config in force: one clock read and a comparison unless a check is due.

        A due check starts in a background thread (after one `os.stat`, for a file), and `get`
        never raises. For a file that changed, `get` waits up to `LOCAL_RELOAD_WAIT` (50 ms) for
        that thread, so the usual small file is in force for the very request that found it due; a
        large one keeps building meanwhile. `get` never waits for a download.
        """
        due = self._due
        if due is None or self._clock() < due:
            return self._config
        return self._when_due()

    def refresh(self) -> Config:
        """Check the source now, waiting for the answer (for tests and reload signals, not requests).

        A URL's fetch is bounded by its `timeout`; when a background check is already in flight,
        `refresh` waits for it first, so it returns within about twice the `timeout`.
        """
        with self._lock:
            if not self._closed:
                self._check()
        return self._config

    def close(self) -> None:
        """Stop refreshing and close the HTTP client the loader made (not one you passed in)."""
        self._closed = True
        self._due = None
        with self._lock:
            self._source.close()

    def __enter__(self) -> ConfigLoader:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ConfigLoader({self._source.name!r}, ttl={self._ttl!r})"

    def _when_due(self) -> Config:
        # Whoever finds the check due first starts it; everyone else keeps the current config
        # rather than wait, so only one check is ever in flight. The request that found it due
        # does no more than a file's `os.stat`, and waits a few milliseconds at most: reading,
        # parsing and building (compiling 5,000 patterns can take seconds) happen in a thread of
        # their own, and requests are served the current config until it is built.
        if not self._lock.acquire(blocking=False):
            return self._config
        ttl = self._ttl
        if ttl is None or self._closed:
            self._lock.release()
            return self._config
        self._due = self._clock() + ttl
        try:
            worth_fetching = self._source.worth_fetching()
        except Exception:  # the background check will say what is wrong
            worth_fetching = True
        if not worth_fetching:
            self._lock.release()
            record_reload("unchanged", f"{self._source.name}: not modified")
            return self._config
        thread = threading.Thread(target=self._check_in_background, name="botguard-config-refresh", daemon=True)
        try:
            thread.start()
        except RuntimeError:  # interpreter shutting down: keep serving what we have
            self._lock.release()
            return self._config
        if self._source.local:
            # A local file usually reads, parses and builds in about a millisecond: wait that
            # long, no longer, so the request that found the change is served the new rules.
            thread.join(LOCAL_RELOAD_WAIT)
        return self._config

    def _check_in_background(self) -> None:
        try:
            self._check()
        finally:
            if self._ttl is not None and not self._closed:
                # Counted from the end, so a slow source is not asked again straight away.
                self._due = self._clock() + self._ttl
            self._lock.release()

    def _check(self) -> None:
        """Fetch, compare digests, build a new config only for new content; the lock is held."""
        source = self._source
        try:
            fetched = source.fetch()
            if fetched is None:
                record_reload("unchanged", f"{source.name}: not modified")
                return
            data, token = fetched
            raw_digest = hashlib.sha256(data).digest()
            if raw_digest == self._raw_digest:
                source.remember(token)
                record_reload("unchanged", f"{source.name}: same content")
                return
            mapping = settings_table(source.parse(data))
            digest = _canonical_digest(source.name, mapping)
            if digest != self._digest:
                config = _build(source.name, mapping)
                self._config = config
                self._digest = digest
                result, reason = "changed", f"{source.name}: new settings in force"
            else:
                result, reason = "unchanged", f"{source.name}: same settings, reformatted"
            self._raw_digest = raw_digest
            source.remember(token)
            record_reload(result, reason)
        except ConfigError as exc:
            record_reload("failed", str(exc))
        except Exception as exc:  # the source is outside our control: nothing may reach a request
            record_reload("failed", f"{source.name}: {type(exc).__name__}: {exc}")


def _build(name: str, mapping: Any) -> Config:
    try:
        return Config.from_mapping(mapping)
    except ConfigError as exc:
        raise ConfigError(f"{name}: {exc}") from None


def _canonical_digest(name: str, mapping: Any) -> bytes:
    """A digest of the settings themselves: key order, layout and Kong's aliases do not count."""
    if isinstance(mapping, Mapping):
        renamed = {_ALIASES.get(key, key): value for key, value in mapping.items()}
        # A key given under both names is an error `Config.from_mapping` reports; keep both here.
        if len(renamed) == len(mapping):
            mapping = renamed
    try:
        text = json.dumps(mapping, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=repr)
    except RecursionError:
        raise ConfigError(f"{name}: {_TOO_DEEP}") from None
    return hashlib.sha256(text.encode()).digest()


def settings_table(mapping: Any) -> Any:
    """The settings a config file holds: its `[tool.botguard]` or `[botguard]` table (a
    `pyproject.toml`, a shared settings file), the `config` of a Kong bot-detection plugin entity
    (as Kong's Admin API returns it), else the whole `mapping`. The loader and the `botguard`
    command read files through it, so both take the same shapes.

    Kong's JSON writes an unset list as null and, in older versions, an empty one as `{}`.
    """
    if isinstance(mapping, dict):
        tool = mapping.get("tool")
        if isinstance(tool, dict) and isinstance(tool.get("botguard"), dict):
            return tool["botguard"]
        if isinstance(mapping.get("botguard"), dict):
            return mapping["botguard"]
    if not (isinstance(mapping, dict) and mapping.get("name") == "bot-detection" and isinstance(mapping.get("config"), dict)):
        return mapping
    settings: dict[str, Any] = {}
    for key, value in mapping["config"].items():
        if value is None:
            continue
        settings[key] = [] if value == {} else value
    return settings



# Loaders alive in this process, so a forked worker (gunicorn --preload) can reset them: a
# refresh thread running at fork time does not exist in the child, but its held lock would.
_LIVE: weakref.WeakSet[ConfigLoader] = weakref.WeakSet()


def _reset_after_fork() -> None:
    for loader in list(_LIVE):
        loader._lock = threading.Lock()
        loader._source.after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)
