"""A plain WSGI harness, raw HTTP over a socket, and WSGI servers (wsgiref, werkzeug) in a thread."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from tests.support.servers import free_port, raw_request, wait_until_serving


@dataclass
class WSGIResult:
    status: str = ""
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    environ: dict[str, Any] = field(default_factory=dict)
    app_called: bool = False

    @property
    def code(self) -> int:
        return int(self.status.split(" ", 1)[0])

    def header(self, name: str) -> str | None:
        found = [v for k, v in self.headers if k.lower() == name.lower()]
        return found[-1] if found else None

    def json(self) -> Any:
        return json.loads(self.body)


def environ_for(user_agent: str | bytes | None = None, path: str = "/") -> dict[str, Any]:
    """A PEP 3333 environ; a bytes User-Agent arrives as a server hands it over (latin-1 text)."""
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
    }
    if user_agent is not None:
        environ["HTTP_USER_AGENT"] = user_agent.decode("latin-1") if isinstance(user_agent, bytes) else user_agent
    return environ


def ok_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    environ["_app_called"] = True
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]


def call(app: Any, environ: dict[str, Any]) -> WSGIResult:
    result = WSGIResult(environ=environ)

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
        result.status, result.headers = status, list(headers)
        return lambda data: None

    chunks = app(environ, start_response)
    try:
        result.body = b"".join(chunks)
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
    result.app_called = bool(environ.get("_app_called"))
    return result


def two_user_agents(path: str, first: str, second: str, host: str = "127.0.0.1") -> list[str]:
    return [f"GET {path} HTTP/1.1", f"Host: {host}", f"User-Agent: {first}", f"User-Agent: {second}", "Connection: close"]


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def _serving(server: Any, port: int) -> Iterator[str]:
    """Run a threaded server's `serve_forever` in a thread; yield its URL; shut it down after."""
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def serve_wsgiref(app: Any) -> contextlib.AbstractContextManager[str]:
    """Serve a WSGI app with the standard library's threaded wsgiref server on 127.0.0.1."""
    port = free_port()
    server = make_server("127.0.0.1", port, app, server_class=ThreadingWSGIServer, handler_class=QuietHandler)
    return _serving(server, port)


def serve_werkzeug(app: Any) -> contextlib.AbstractContextManager[str]:
    """Serve a WSGI app with werkzeug's threaded development server (what `flask run` uses)."""
    from werkzeug.serving import make_server as make_werkzeug_server

    port = free_port()
    return _serving(make_werkzeug_server("127.0.0.1", port, app, threaded=True), port)


__all__ = [
    "WSGIResult", "call", "environ_for", "ok_app", "raw_request", "serve_wsgiref", "serve_werkzeug",
    "two_user_agents", "wait_until_serving",
]
