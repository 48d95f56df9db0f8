"""One request to an ASGI or WSGI app, in process, for `botguard.testing`'s assertions.

The app is called as a server would call it, with a minimal scope or environ; which botguard
guards judged the request is recorded on the way (`_override.recording_guards`). A User-Agent that
claims a mainstream browser comes with the headers that browser sends to a plain-http host, so
that `check_headers=True` judges it as it would judge the browser.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import inspect
import wsgiref.util
from collections.abc import Callable
from typing import Any

from . import _override
from ._forged import browser_claim

__all__ = ["call_app"]


def call_app(
    app: Any, user_agent: str | bytes | None, path: str, method: str
) -> tuple[list[Any], int | None, bytes, BaseException | None]:
    """Send one request to an ASGI or WSGI app in process, and say what came back.

        guards, status, body, error = call_app(app, "curl/8.4.0", "/?q=1", "GET")

    Returns the guards that judged the request (every botguard `Guard` it met, in order), the
    response status (None when the app sent none), the body, and what the app raised (None).
    """
    raw = None if user_agent is None else (user_agent.encode("latin-1") if isinstance(user_agent, str) else user_agent)
    path, _, query = path.partition("?")
    with _override.recording_guards() as guards:
        if _is_asgi(app):
            status, body, error = _run_coroutine(_asgi_request(app, raw, path, query, method))
        else:
            status, body, error = _wsgi_request(app, raw, path, query, method)
    return guards, status, body, error


# What Chrome, Firefox and Safari send with a page load from an http origin that is not loopback
# (no Fetch Metadata, no client hints there: those go to secure origins only).
_BROWSER_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"accept", b"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
    (b"accept-language", b"en-US,en;q=0.9"),
    (b"upgrade-insecure-requests", b"1"),
)


def _headers(user_agent: bytes | None) -> list[tuple[bytes, bytes]]:
    """The request's headers besides Host: the User-Agent, and a browser's own headers with one."""
    if user_agent is None:
        return []
    found = [(b"user-agent", user_agent)]
    if browser_claim(user_agent.decode("latin-1")) is not None:
        found += _BROWSER_HEADERS
    return found


def _is_asgi(app: Any) -> bool:
    return inspect.iscoroutinefunction(app) or inspect.iscoroutinefunction(getattr(app, "__call__", None))


def _run_coroutine(coroutine: Any) -> Any:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    # Called from async code: the app gets its own loop in a worker thread, in a copy of this
    # context so that the overrides in force (and the guard recorder) reach it.
    context = contextvars.copy_context()
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(context.run, asyncio.run, coroutine).result()


async def _asgi_request(
    app: Any, user_agent: bytes | None, path: str, query: str, method: str
) -> tuple[int | None, bytes, BaseException | None]:
    headers = [(b"host", b"testserver"), *_headers(user_agent)]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method.upper(),
        "scheme": "http",
        "path": path,
        "raw_path": path.encode("utf-8"),
        "root_path": "",
        "query_string": query.encode("latin-1"),
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "state": {},
        "extensions": {},
    }
    status: list[int] = []
    body: list[bytes] = []
    received = False
    # The client hangs up only once the response is complete, as a browser does: an app that
    # listens for the disconnect while it works (Django's ASGI handler does) would otherwise
    # abandon its response.
    complete = asyncio.Event()

    async def receive() -> dict[str, Any]:
        nonlocal received
        if not received:
            received = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await complete.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])
        elif message["type"] == "http.response.body":
            body.append(message.get("body", b""))
            if not message.get("more_body", False):
                complete.set()

    error: BaseException | None = None
    try:
        await app(scope, receive, send)
    except Exception as exc:  # the app's own failure: botguard's decision is what is asserted
        error = exc
    return (status[0] if status else None), b"".join(body), error


def _wsgi_request(
    app: Any, user_agent: bytes | None, path: str, query: str, method: str
) -> tuple[int | None, bytes, BaseException | None]:
    environ: dict[str, Any] = {"REQUEST_METHOD": method.upper(), "PATH_INFO": path, "QUERY_STRING": query}
    wsgiref.util.setup_testing_defaults(environ)
    for name, value in _headers(user_agent):
        environ["HTTP_" + name.decode("ascii").upper().replace("-", "_")] = value.decode("latin-1")
    status: list[int] = []
    body: list[bytes] = []

    def start_response(line: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], object]:
        status.append(int(line.split(" ", 1)[0]))
        return body.append

    error: BaseException | None = None
    try:
        result = app(environ, start_response)
        try:
            body.extend(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
    except Exception as exc:
        error = exc
    return (status[0] if status else None), b"".join(body), error

