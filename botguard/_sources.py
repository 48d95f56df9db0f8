"""Where a `ConfigLoader` reads its settings: a file, a URL (httpx), or a mapping in memory.

Each source fetches bytes only when they may have changed (a file's stat, a URL's validators),
parses them into a mapping, and says nothing about `Config`: building and identity are the
loader's job.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import socket
import stat
import threading
import time
import tomllib
from collections.abc import Callable, Mapping
from numbers import Real
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from ._errors import ConfigError

if TYPE_CHECKING:
    import httpx

logger = logging.getLogger("botguard")

# Redirects followed within the URL's own origin before a fetch gives up.
MAX_REDIRECTS = 5


# A config is a table of lists of strings; nesting this deep is an attack or an accident, and
# Python's parsers would answer it with a RecursionError.
_TOO_DEEP = "nested too deeply to be a config (a table of settings whose values are lists of strings)"


def _parse_json(name: str, data: bytes) -> Any:
    try:
        mapping = json.loads(data)
    except RecursionError:
        raise ConfigError(f"{name}: {_TOO_DEEP}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{name}: not UTF-8 text: {exc}") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{name}: not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None
    if not isinstance(mapping, dict):
        raise ConfigError(f"{name}: expected a JSON object of settings, got {type(mapping).__name__}")
    return mapping


def _parse_toml(name: str, data: bytes) -> Any:
    if not data.strip():
        # Valid TOML (no settings), but far more often a file caught between truncate and write:
        # ask for a comment if the defaults are really meant.
        raise ConfigError(f"{name}: the file is empty (half-written?); for the defaults, write a comment in it")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{name}: not UTF-8 text: {exc}") from None
    try:
        # tomllib's message ends with "(at line L, column C)".
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{name}: not valid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(f"{name}: {_TOO_DEEP}") from None


_PARSERS: dict[str, Callable[[str, bytes], Any]] = {".toml": _parse_toml, ".json": _parse_json}


class _FileSource:
    """A local regular file: one `os.stat` a check, a read only when the stat says it changed."""

    local = True  # read, parsed and built in about a millisecond (`ConfigLoader.get` waits that long)

    def __init__(self, path: str | os.PathLike[str]) -> None:
        if not isinstance(path, (str, os.PathLike)):
            raise ConfigError(f"path: expected a file path, got {path!r}")
        self.path = Path(path)
        self.name = str(path)
        parser = _PARSERS.get(self.path.suffix.lower())
        if parser is None:
            raise ConfigError(f"{self.name}: unknown config format {self.path.suffix!r}; use .toml or .json")
        self._parser = parser
        self._known: object = None

    def worth_fetching(self) -> bool:
        # A stat never blocks on a FIFO or a device, where an open or a read could.
        return _signature(os.stat(self.path)) != self._known

    def fetch(self) -> tuple[bytes, object] | None:
        try:
            st = os.stat(self.path)
            if _signature(st) == self._known:
                return None
            _require_regular(self.name, st)
            # O_NONBLOCK: should a FIFO be swapped in between the stat and the open, the open
            # returns at once (and fstat refuses it) instead of waiting for a writer for good.
            fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
            with open(fd, "rb") as file:
                st = os.fstat(fd)
                _require_regular(self.name, st)
                before = _signature(st)
                data = file.read()
                after = _signature(os.fstat(fd))
        except FileNotFoundError:
            raise ConfigError(f"{self.name}: no such file") from None
        except IsADirectoryError:
            raise ConfigError(f"{self.name}: is a directory, not a file") from None
        except OSError as exc:
            raise ConfigError(f"{self.name}: cannot read: {exc.strerror or exc}") from None
        if before != after or len(data) != before[1]:
            # A writer is still at work; the next check reads the finished file.
            raise ConfigError(f"{self.name}: changed while being read (write, then rename, to replace it)")
        return data, after

    def remember(self, token: object) -> None:
        self._known = token

    def parse(self, data: bytes) -> Any:
        return self._parser(self.name, data)

    def close(self) -> None:
        pass

    def after_fork(self) -> None:
        pass


def _require_regular(name: str, st: os.stat_result) -> None:
    """Refuse a FIFO, socket or device: reading one can wait for ever, or never end."""
    if stat.S_ISDIR(st.st_mode):
        raise ConfigError(f"{name}: is a directory, not a file")
    if not stat.S_ISREG(st.st_mode):
        kind = "a FIFO" if stat.S_ISFIFO(st.st_mode) else "a socket" if stat.S_ISSOCK(st.st_mode) else "a device"
        raise ConfigError(f"{name}: is {kind}, not a regular file")


def _signature(st: os.stat_result) -> tuple[int, int, int, int, int]:
    # ctime as well as mtime: `cp -p` and `rsync -t` keep the mtime but not the ctime.
    return (st.st_mtime_ns, st.st_size, st.st_ino, st.st_dev, st.st_ctime_ns)


def _import_httpx() -> ModuleType:
    # Imported on first use: only URL loaders need httpx (the "remote" extra).
    try:
        import httpx
    except ImportError:  # pragma: no cover - depends on the installation
        raise ConfigError("ConfigLoader.from_url needs httpx: pip install 'botguard[remote]'") from None
    return httpx


class _UrlSource:
    """JSON over HTTP(S) with conditional requests; fetched off the request path, within one deadline."""

    local = False
    name: str
    url: str
    _httpx: ModuleType
    _timeout: float
    _max_bytes: int
    _owns_client: bool
    _headers: dict[str, str]
    _client: httpx.Client
    _validators: dict[str, str]
    _origin: tuple[str, str, int]

    def __init__(
        self,
        url: str,
        client: httpx.Client | None,
        headers: Mapping[str, str] | None,
        timeout: float,
        max_bytes: int,
    ) -> None:
        if not isinstance(url, str):
            raise ConfigError(f"url: expected a string, got {url!r}")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"url: expected an http:// or https:// URL, got {url!r}")
        if isinstance(timeout, bool) or not isinstance(timeout, Real) or not 0 < float(timeout) < math.inf:
            raise ConfigError(f"timeout: expected seconds greater than 0, got {timeout!r}")
        if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1:
            raise ConfigError(f"max_bytes: expected a whole number of bytes of at least 1, got {max_bytes!r}")
        if headers is not None and not isinstance(headers, Mapping):
            raise ConfigError(f"headers: expected a mapping of header names to values, got {headers!r}")
        try:
            port = parts.port
        except ValueError:
            raise ConfigError(f"url: not a valid port in {url!r}") from None
        self._httpx = _import_httpx()
        self.url = url
        # Logs must not carry the password or a token in the query string.
        self.name = _display_url(url)
        self._origin = (parts.scheme, parts.hostname.lower(), port or _DEFAULT_PORTS[parts.scheme])
        self._headers = dict(headers or {})
        self._timeout = float(timeout)
        self._max_bytes = max_bytes
        self._owns_client = client is None
        self._client = client if client is not None else self._new_client()
        self._validators = {}
        _hide_queries_in_httpx_log()

    def _new_client(self) -> httpx.Client:
        client: httpx.Client = self._httpx.Client(timeout=self._timeout, follow_redirects=False)
        return client

    def worth_fetching(self) -> bool:
        return True

    def fetch(self) -> tuple[bytes, object] | None:
        deadline = time.monotonic() + self._timeout
        watchdog = _Watchdog(self._timeout)
        _fetching.active = True
        too_slow = f"{self.name}: no answer within {self._timeout:g}s (the whole fetch, body included)"
        try:
            found = self._fetch(deadline, watchdog)
        except self._httpx.HTTPError as exc:
            if watchdog.fired or isinstance(exc, self._httpx.TimeoutException):
                raise ConfigError(too_slow) from None
            raise ConfigError(f"{self.name}: {type(exc).__name__}: {_display_text(str(exc))}") from None
        finally:
            _fetching.active = False
            watchdog.cancel()
        if watchdog.fired:
            # The watchdog cut the connection: a body that ends with the connection (no
            # Content-Length) looks whole to httpx, but the server never finished it.
            raise ConfigError(too_slow)
        return found

    def _fetch(self, deadline: float, watchdog: _Watchdog) -> tuple[bytes, object] | None:
        httpx = self._httpx
        url = httpx.URL(self.url)
        for _ in range(MAX_REDIRECTS + 1):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise httpx.TimeoutException("deadline passed")
            request = self._client.build_request(
                "GET",
                url,
                # Only ever sent to the URL's own origin: redirects elsewhere are not followed.
                headers={**self._headers, **self._validators},
                timeout=remaining,
                extensions={"trace": watchdog.trace},
            )
            response = self._client.send(request, stream=True, follow_redirects=False)
            try:
                watchdog.watch(response.extensions.get("network_stream"))
                if response.status_code in _REDIRECTS and "location" in response.headers:
                    target = url.join(response.headers["location"])
                    if _origin_of(target) != self._origin:
                        raise ConfigError(
                            f"{self.name}: HTTP {response.status_code} redirect to another origin, "
                            f"{_display_url(str(target))}, not followed (only redirects within "
                            f"{_display_url(self.url, path=False)} are)"
                        )
                    url = target
                    continue
                if response.status_code == 304 and self._validators:
                    return None
                if response.status_code != 200:
                    raise ConfigError(f"{self.name}: HTTP {response.status_code} {response.reason_phrase}".rstrip())
                return self._read_body(response, deadline), self._validators_of(response)
            finally:
                response.close()
        raise ConfigError(f"{self.name}: more than {MAX_REDIRECTS} redirects")

    def _read_body(self, response: httpx.Response, deadline: float) -> bytes:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self._max_bytes:
            raise ConfigError(f"{self.name}: the answer is {int(declared):,} bytes, more than max_bytes={self._max_bytes:,}")
        body = bytearray()
        # Decoded bytes are counted, so a small gzip bomb is stopped as early as a big body.
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) > self._max_bytes:
                raise ConfigError(f"{self.name}: the answer is more than max_bytes={self._max_bytes:,} bytes")
            if time.monotonic() > deadline:
                raise self._httpx.TimeoutException("deadline passed")
        return bytes(body)

    @staticmethod
    def _validators_of(response: httpx.Response) -> dict[str, str]:
        validators = {}
        if etag := response.headers.get("etag"):
            validators["If-None-Match"] = etag
        if modified := response.headers.get("last-modified"):
            validators["If-Modified-Since"] = modified
        return validators

    def remember(self, token: object) -> None:
        assert isinstance(token, dict)
        self._validators = token

    def parse(self, data: bytes) -> Any:
        return _parse_json(self.name, data)

    def close(self) -> None:
        if self._owns_client:
            self._client.close()

    def after_fork(self) -> None:
        if self._owns_client:
            # The parent's pooled connections are the parent's: never write to them from here.
            self._client = self._new_client()


_DEFAULT_PORTS: dict[str, int] = {"http": 80, "https": 443}
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


def _origin_of(url: httpx.URL) -> tuple[str, str, int]:
    return (url.scheme, url.host.lower(), url.port or _DEFAULT_PORTS.get(url.scheme, 0))


def _display_url(url: str, *, path: bool = True) -> str:
    """`url` without credentials, query string or fragment: what logs and errors may show."""
    parts = urlsplit(url)
    hostname = parts.hostname or ""
    host = f"[{hostname}]" if ":" in hostname else hostname
    try:
        port = parts.port
    except ValueError:
        port = None
    return urlunsplit((parts.scheme, host + (f":{port}" if port else ""), parts.path if path else "", "", ""))


def _display_text(text: str) -> str:
    """An httpx error message with any URL in it shown as `_display_url` shows it."""
    return _URL_IN_TEXT.sub(lambda found: _display_url(found.group(0)), text)


_URL_IN_TEXT = re.compile(r"https?://[^\s'\"<>]+")


class _Watchdog:
    """Cuts a fetch's connection when its deadline passes, so that no read outlives the deadline.

    httpx's timeouts bound each read; a server that sends a byte every second never trips them.
    The watchdog learns the socket from httpcore's `trace` extension when a connection is made,
    and from the response's `network_stream` when a pooled one is reused, and shuts it down from
    a timer thread: the blocked read then returns at once.
    """

    def __init__(self, seconds: float) -> None:
        self.fired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def trace(self, event: str, info: Mapping[str, Any]) -> None:
        if event.endswith((".connect_tcp.complete", ".connect_unix_socket.complete", ".start_tls.complete")):
            self.watch(info.get("return_value"))

    def watch(self, network_stream: Any) -> None:
        get_extra_info = getattr(network_stream, "get_extra_info", None)
        sock = get_extra_info("socket") if get_extra_info is not None else None
        if isinstance(sock, socket.socket):
            with self._lock:
                self._sockets.append(sock)
                fired = self.fired
            if fired:
                _shut(sock)

    def cancel(self) -> None:
        self._timer.cancel()

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shut(sock)


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:  # already closed
        pass


# Set while this thread fetches a config: httpx's log line of that request hides its query string.
_fetching = threading.local()


class _HideQueryOfConfigFetch(logging.Filter):
    """On the `httpx` logger: the loader's own requests are logged without query string or credentials.

    httpx logs every request at INFO with its full URL, token and all. Only records written by
    a thread while it fetches a config are touched (their URL argument is shortened); every
    other line of the application's own httpx logging passes unchanged.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(_fetching, "active", False) and isinstance(record.args, tuple):
            record.args = tuple(
                _display_url(str(arg)) if type(arg).__name__ == "URL" else arg for arg in record.args
            )
        return True


_HIDE_QUERY = _HideQueryOfConfigFetch()


def _hide_queries_in_httpx_log() -> None:
    # `addFilter` adds a filter once, however many loaders are made.
    logging.getLogger("httpx").addFilter(_HIDE_QUERY)


class _MappingSource:
    """A dict given in code: read once."""

    local = True

    def __init__(self, mapping: Mapping[str, Any]) -> None:
        self.name = "<mapping>"
        self._mapping = mapping

    def fetch(self) -> tuple[bytes, object] | None:
        return b"", None  # read once: the bytes' digest is never compared

    def worth_fetching(self) -> bool:
        return False

    def remember(self, token: object) -> None:
        pass

    def parse(self, data: bytes) -> Any:
        return self._mapping

    def close(self) -> None:
        pass

    def after_fork(self) -> None:
        pass
