"""A page that makes every kind of request a browser makes, behind `check_headers=True`.

    uvicorn examples.browser_page:asgi_app --host 127.0.0.1 --port 8000 --ws wsproto
    gunicorn examples.browser_page:wsgi_app -b 127.0.0.1:8000 --threads 4

Open http://127.0.0.1:8000/ in a browser: the page loads a stylesheet (which loads an image), a
script, an image, an icon and an iframe, calls `fetch` (GET and POST) and `XMLHttpRequest`, opens
a WebSocket (ASGI only), then posts a form, whose answer fetches `/done`. `/verdicts` (not
guarded) lists what botguard made of every request: a person's browser gets NONE on all of them,
a script that wears a browser's User-Agent gets FORGED. The real-browser tests drive Chromium and
Firefox through it.
"""

from __future__ import annotations

import base64
import json
import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `botguard` importable from a checkout
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from botguard import BotGuardMiddleware, BotGuardWSGIMiddleware, Config, Verdict

# What botguard made of each request, in arrival order (one process: run gunicorn with one worker).
_records: list[dict[str, Any]] = []
_lock = threading.Lock()
# The headers a record keeps, to show why a request was refused.
_SHOWN = (
    "accept", "accept-language", "accept-encoding", "sec-fetch-site", "sec-fetch-mode", "sec-fetch-dest",
    "sec-ch-ua", "sec-ch-ua-platform", "origin", "upgrade", "host",
)


def _record(method: str, path: str, verdict: Verdict | None, headers: Mapping[str, str]) -> None:
    entry = {"method": method, "path": path, "verdict": None if verdict is None else verdict.name}
    entry["headers"] = {name: headers[name] for name in _SHOWN if name in headers}
    with _lock:
        _records.append(entry)


def _asgi_headers(scope: Mapping[str, Any]) -> dict[str, str]:
    return {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}


def _environ_headers(environ: Mapping[str, Any]) -> dict[str, str]:
    return {k[5:].lower().replace("_", "-"): str(v) for k, v in environ.items() if k.startswith("HTTP_")}


def _refused(request: Any, verdict: Verdict) -> tuple[int, list[tuple[str, str]], str]:
    """`on_block`: note the refusal, then answer 403 as botguard would."""
    if "headers" in request:
        _record(request.get("method", "GET"), request["path"], verdict, _asgi_headers(request))
    else:
        _record(request["REQUEST_METHOD"], request["PATH_INFO"], verdict, _environ_headers(request))
    return 403, [("content-type", "application/json")], '{"message": "Forbidden"}'


CONFIG = Config(check_headers=True, on_block=_refused)

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>botguard: a browser's requests</title>
<link rel="icon" href="/static/icon.png">
<link rel="stylesheet" href="/static/style.css">
<script src="/static/app.js" defer></script></head>
<body data-websocket="{websocket}">
<h1>A browser's requests</h1>
<img src="/static/pixel.png" alt="">
<iframe src="/frame" title="frame"></iframe>
<form id="form" method="post" action="/form"><input name="q" value="person"></form>
</body></html>
"""
FRAME = """<!doctype html><html><head><meta charset="utf-8"><title>frame</title></head>
<body><img src="/static/frame-pixel.png" alt=""></body></html>
"""
SCRIPT = """(async () => {
  // Everything the page itself loads (stylesheet, images, iframe) first.
  await new Promise((done) => document.readyState === "complete" ? done() : addEventListener("load", done));
  await fetch("/api/fetch").then((r) => r.text());
  await fetch("/api/fetch-post", {method: "POST", headers: {"content-type": "application/json"}, body: "{}"});
  await new Promise((done) => {
    const xhr = new XMLHttpRequest();
    xhr.open("GET", "/api/xhr");
    xhr.onloadend = done;
    xhr.send();
  });
  if (document.body.dataset.websocket === "1") {
    await new Promise((done) => {
      const socket = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws");
      socket.onmessage = () => socket.close();
      socket.onclose = done;
      socket.onerror = done;
    });
  }
  document.getElementById("form").submit();
})();
"""
STYLE = "body { background: url(/static/background.png) repeat; }\n"
FORM_ANSWER = """<!doctype html><html><head><meta charset="utf-8"><title>posted</title></head>
<body><p>Posted.</p><script>fetch("/done").then((r) => r.text());</script></body></html>
"""
PIXEL = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
)
_CONTENT = {
    "/": ("text/html; charset=utf-8", PAGE),
    "/frame": ("text/html; charset=utf-8", FRAME),
    "/static/app.js": ("text/javascript", SCRIPT),
    "/static/style.css": ("text/css", STYLE),
    "/form": ("text/html; charset=utf-8", FORM_ANSWER),
}


def _answer(method: str, path: str, websocket: bool) -> tuple[str, str, bytes]:
    """(status, content type, body) of a page the guard let through."""
    if path.endswith(".png"):
        return "200 OK", "image/png", PIXEL
    if path.startswith("/api/") or path == "/done":
        return "200 OK", "application/json", json.dumps({"path": path, "method": method}).encode()
    found = _CONTENT.get(path)
    if found is None:
        return "404 Not Found", "text/plain", b"not found"
    content_type, text = found
    return "200 OK", content_type, text.replace("{websocket}", "1" if websocket else "0").encode()


def _verdicts() -> bytes:
    with _lock:
        return json.dumps(_records).encode()


# ASGI: a guarded site, and /verdicts beside it.
async def _site(scope: dict[str, Any], receive: Any, send: Any) -> None:
    verdict = scope["state"]["botguard"]
    _record(scope.get("method", "GET"), scope["path"], verdict, _asgi_headers(scope))
    if scope["type"] == "websocket":
        await receive()  # websocket.connect
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.send", "text": verdict.name})
        await send({"type": "websocket.close", "code": 1000})
        return
    while (await receive()).get("more_body"):
        pass
    status, content_type, body = _answer(scope["method"], scope["path"], websocket=True)
    headers = [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": int(status.split()[0]), "headers": headers})
    await send({"type": "http.response.body", "body": body})


_guarded_site = BotGuardMiddleware(_site, config=CONFIG)


async def asgi_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The page under ASGI (uvicorn): everything is guarded but `/verdicts`."""
    if scope["type"] == "lifespan":
        await receive()  # lifespan.startup
        await send({"type": "lifespan.startup.complete"})
        await receive()  # lifespan.shutdown
        await send({"type": "lifespan.shutdown.complete"})
        return
    if scope["type"] == "http" and scope["path"] == "/verdicts":
        body = _verdicts()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": body})
        return
    await _guarded_site(scope, receive, send)


# WSGI: the same site without the WebSocket.
def _wsgi_site(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "/")
    _record(method, path, environ["botguard.verdict"], _environ_headers(environ))
    length = environ.get("CONTENT_LENGTH")
    if length:
        environ["wsgi.input"].read(int(length))
    status, content_type, body = _answer(method, path, websocket=False)
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return [body]


_guarded_wsgi_site = BotGuardWSGIMiddleware(_wsgi_site, config=CONFIG)


def wsgi_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """The page under WSGI (gunicorn): everything is guarded but `/verdicts`."""
    if environ.get("PATH_INFO") == "/verdicts":
        body = _verdicts()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]
    return _guarded_wsgi_site(environ, start_response)
