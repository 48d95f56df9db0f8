"""`Request`: what botguard reads of one request, whatever protocol brought it.

Each adapter builds one, in one call (`scope_request`, `environ_request`, or `Request(...)` for a
framework with neither), and hands it to `Guard.decide`. The core reads only this object: it
never guesses whether it holds an ASGI scope or a WSGI environ.

    request = scope_request(scope)
    request.user_agents          # (b"Mozilla/5.0 ...",): every User-Agent value, in arrival order
    request.header("accept")     # b"text/html,...", or None: the first value, raw bytes
    request.path, request.peer, request.scheme, request.host, request.grpc, request.native

Read-only: nothing writes a request after the adapter built it. The ASGI and WSGI forms read the
scope or environ only when asked (a passing request reads its User-Agent and nothing else).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, MutableMapping, Sequence
from typing import Any

__all__ = ["EnvironRequest", "Request", "ScopeRequest", "environ_request", "scope_request", "user_agent_values", "wsgi_header_bytes"]

Headers = Sequence[tuple[bytes, bytes]]


class Request:
    """One request as botguard sees it: built once by the adapter, read by every check.

        Request((b"curl/8.4.0",), path="/feed", peer="203.0.113.7", headers=[(b"accept", b"*/*")])

    Attributes (and arguments):
        user_agents: every `User-Agent` value, raw bytes, in arrival order (usually one).
        path: the request path, for log lines (None when unknown).
        peer: the address of the direct peer (the socket's other end); None when unknown.
        peer_port: the peer's port, as the server reports it; None when unknown.
        scheme: "http", "https", "ws" or "wss", as the server reports it.
        headers: every header as (lower-case name, value) byte pairs, in arrival order.
        native: the framework's own request object, for `on_block` (an ASGI scope, a WSGI
            environ, ...).
    """

    # `user_agents` and `native` are plain slots, not properties: `user_agents` is read by every
    # request, and a property costs about 80 ns of a 1.5 µs hit path in benchmarks/overhead.py.
    # Read-only by contract: the adapter sets them once, nothing else writes them.
    __slots__ = ("user_agents", "native", "_headers", "_path", "_peer", "_peer_port", "_scheme")

    def __init__(
        self,
        user_agents: tuple[bytes, ...],
        *,
        path: str | None = None,
        peer: str | None = None,
        peer_port: int | None = None,
        scheme: str = "http",
        headers: Headers = (),
        native: Any = None,
    ) -> None:
        self.user_agents = user_agents
        self._path = path
        self._peer = peer
        self._peer_port = peer_port
        self._scheme = scheme
        self._headers = headers
        self.native = native

    @property
    def path(self) -> str | None:
        """The request path, as the server gave it (for log lines)."""
        return self._path

    @property
    def peer(self) -> str | None:
        """The direct peer's address as the server reports it (not read from any proxy header)."""
        return self._peer

    @property
    def peer_port(self) -> int | None:
        """The direct peer's port as the server reports it (0 when a server took the address from
        a proxy header without one: a socket's peer never has port 0)."""
        return self._peer_port

    @property
    def scheme(self) -> str:
        """"http", "https", "ws" or "wss", as the server reports it."""
        return self._scheme

    @property
    def host(self) -> bytes | None:
        """The `Host` header (HTTP/2's `:authority`, where the server maps it), raw."""
        return self.header("host")

    @property
    def grpc(self) -> bool:
        """True for a gRPC call (its content type is `application/grpc...`)."""
        kind = self.header("content-type")
        return kind is not None and kind[:16].lower() == b"application/grpc"

    def header(self, name: str) -> bytes | None:
        """The first value of header `name` (lower-case), raw bytes; None when it is absent.

            request.header("accept-language")  # b"en-GB,en;q=0.9"
        """
        key = name.encode("latin-1")
        for found, value in self._headers:
            if found == key:
                return bytes(value)
        return None

    def header_map(self) -> Mapping[bytes, bytes]:
        """Every header by lower-case name, raw bytes: for a check that reads several.

            request.header_map().get(b"sec-fetch-site")  # b"same-origin", or None

        One C-level pass over the header list, where `header` would scan it once per name. A
        repeated header keeps its last value (`header` gives the first): reversing the list
        first cost a third more.
        """
        return dict(self._headers)

    def header_values(self, name: str) -> tuple[bytes, ...]:
        """Every value of header `name` (lower-case), raw bytes, in arrival order.

        A WSGI server joins repeated headers into one value: there the tuple has at most one.
        """
        key = name.encode("latin-1")
        return tuple(bytes(value) for found, value in self._headers if found == key)

    def __repr__(self) -> str:
        return f"<botguard.Request {self.scheme} {self.path!r} from {self.peer} user_agents={self.user_agents!r}>"


def user_agent_values(headers: Headers) -> tuple[bytes, ...]:
    """Every `User-Agent` value of an ASGI header list, in arrival order (usually one)."""
    values: tuple[bytes, ...] = ()
    for name, value in headers:
        if name == b"user-agent":
            values = (*values, value)  # a tuple, not a list to copy: there is almost always one
    return values


class ScopeRequest(Request):
    """The `Request` of an ASGI scope (HTTP or WebSocket), built as `scope_request(scope)`.

    Keeps a reference to the scope's header list and searches it only when a check asks.
    """

    __slots__ = ()

    def __init__(self, scope: MutableMapping[str, Any]) -> None:
        headers = scope["headers"]
        if type(headers) is not list:
            # ASGI asks only for an iterable, and a one-shot iterator (Falcon's test client sends
            # one) would be spent here: read it once, and put it back as a list for the app.
            headers = scope["headers"] = list(headers)
        # `user_agent_values`, inline: a call fewer on every request (about 50 ns in
        # benchmarks/overhead.py, where the whole hit path is about 1 µs).
        values: tuple[bytes, ...] = ()
        for name, value in headers:
            if name == b"user-agent":
                values = (*values, value)
        self.user_agents = values
        self._headers = headers
        self.native = scope

    @property
    def path(self) -> str | None:
        path = self.native.get("path")
        return None if path is None else str(path)

    @property
    def peer(self) -> str | None:
        client = self.native.get("client")
        return str(client[0]) if client else None

    @property
    def peer_port(self) -> int | None:
        client = self.native.get("client")
        return client[1] if client else None

    @property
    def scheme(self) -> str:
        scope = self.native
        return str(scope.get("scheme") or ("ws" if scope.get("type") == "websocket" else "http"))


# The class is the function: a wrapper would add a call to every request (about 30 ns).
scope_request = ScopeRequest


def wsgi_header_bytes(value: str) -> bytes:
    """A WSGI header value as the bytes on the wire, so it decodes and caches as under ASGI."""
    # PEP 3333 hands headers over as latin-1 "bytes in a str": encoding them back gives the bytes.
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:  # a server outside the PEP passed real text; UTF-8 reads back as it
        return value.encode("utf-8", "surrogateescape")


# CGI names the two body headers without the HTTP_ prefix.
_UNPREFIXED = {"content-type": "CONTENT_TYPE", "content-length": "CONTENT_LENGTH"}


class EnvironRequest(Request):
    """The `Request` of a WSGI environ (or Django's `request.META`), built as `environ_request(environ)`.

    Reads headers from the `HTTP_*` keys only when a check asks.
    """

    __slots__ = ()

    def __init__(self, environ: Mapping[str, Any]) -> None:
        value = environ.get("HTTP_USER_AGENT")
        self.user_agents = () if value is None else (wsgi_header_bytes(value),)
        self.native = environ

    @property
    def path(self) -> str | None:
        environ = self.native
        if "PATH_INFO" not in environ and "SCRIPT_NAME" not in environ:
            return None
        return str(environ.get("SCRIPT_NAME", "")) + str(environ.get("PATH_INFO", ""))

    @property
    def peer(self) -> str | None:
        peer = self.native.get("REMOTE_ADDR")
        return str(peer) if peer else None

    @property
    def peer_port(self) -> int | None:
        port = str(self.native.get("REMOTE_PORT", ""))
        return int(port) if port.isascii() and port.isdigit() and len(port) <= 5 else None

    @property
    def scheme(self) -> str:
        return str(self.native.get("wsgi.url_scheme") or "http")

    def header(self, name: str) -> bytes | None:
        key = _UNPREFIXED.get(name) or "HTTP_" + name.upper().replace("-", "_")
        value = self.native.get(key)
        return None if value is None else wsgi_header_bytes(str(value))

    def header_map(self) -> Mapping[bytes, bytes]:
        return _EnvironHeaders(self.native)

    def header_values(self, name: str) -> tuple[bytes, ...]:
        value = self.header(name)
        return () if value is None else (value,)


class _EnvironHeaders(Mapping[bytes, bytes]):
    """An environ's headers by lower-case name as bytes, each looked up when asked (no pass over
    the environ: a check reads a few names)."""

    __slots__ = ("_environ",)

    def __init__(self, environ: Mapping[str, Any]) -> None:
        self._environ = environ

    def __getitem__(self, name: bytes) -> bytes:
        text = name.decode("latin-1")
        value = self._environ.get(_UNPREFIXED.get(text) or "HTTP_" + text.upper().replace("-", "_"))
        if value is None:
            raise KeyError(name)
        return wsgi_header_bytes(str(value))

    def __iter__(self) -> Iterator[bytes]:
        for key in self._environ:
            if key.startswith("HTTP_"):
                yield key[5:].lower().replace("_", "-").encode("latin-1")
            elif key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                yield key.lower().replace("_", "-").encode("latin-1")

    def __len__(self) -> int:
        return sum(1 for _ in self)


environ_request = EnvironRequest
