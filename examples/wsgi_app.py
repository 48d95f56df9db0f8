"""A plain WSGI app: the site refuses bots and scripts, /api/ admits scripted clients.

    python examples/wsgi_app.py                                   # wsgiref, threaded, 127.0.0.1:8000
    gunicorn examples.wsgi_app:app -b 127.0.0.1:8000 --threads 4

WSGI servers join repeated headers into one HTTP_USER_AGENT, so two User-Agent headers are
judged as one joined value here (see docs/wsgi.md), not answered with 400.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `botguard` importable from a checkout
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from botguard import BotGuardWSGIMiddleware

SCRIPTED = [r"^curl/", r"^python-requests/", r"^python-httpx/"]


def _json(start_response: Callable[..., Any], payload: dict[str, str], status: str = "200 OK") -> Iterable[bytes]:
    body = json.dumps(payload).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def site(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    if environ.get("PATH_INFO", "/") != "/":
        return _json(start_response, {"error": "not found"}, "404 Not Found")
    return _json(start_response, {"hello": "human", "verdict": environ["botguard.verdict"].name})


def api(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    return _json(start_response, {"status": "ok", "verdict": environ["botguard.verdict"].name})


guarded_site = BotGuardWSGIMiddleware(site, deny=SCRIPTED)
guarded_api = BotGuardWSGIMiddleware(api, allow=SCRIPTED)


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """Send /api and /api/... to the API's guard, everything else to the site's."""
    path = environ.get("PATH_INFO", "")
    if path == "/api" or path.startswith("/api/"):
        return guarded_api(environ, start_response)
    return guarded_site(environ, start_response)


def serve_threaded(wsgi_app: Callable[..., Any], host: str, port: int, name: str) -> None:
    """Serve `wsgi_app` with the standard library's server, a thread per request, until stopped."""
    from socketserver import ThreadingMixIn
    from wsgiref.simple_server import WSGIServer, make_server

    class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
        daemon_threads = True

    with make_server(host, port, wsgi_app, server_class=ThreadingWSGIServer) as server:
        print(f"botguard {name} example on http://{host}:{port}/", flush=True)
        server.serve_forever()


def main(host: str = "127.0.0.1", port: int = 8000) -> None:
    serve_threaded(app, host, port, "WSGI")


if __name__ == "__main__":
    main(*sys.argv[1:2], *map(int, sys.argv[2:3]))
