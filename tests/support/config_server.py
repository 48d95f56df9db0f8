"""A real HTTP server on 127.0.0.1 that serves a config, counts what it answers, and can fail on demand:
hang, redirect, drip its body a byte at a time, or send far more than any config."""

from __future__ import annotations

import email.utils
import hashlib
import threading
from collections import Counter, deque
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class ConfigServer:
    """Serves `body` at any path; `etag`/`last_modified` switch validators on, `status` forces an error."""

    def __init__(self, body: bytes, *, etag: bool = True, last_modified: bool = False) -> None:
        self.body = body
        self.etag = etag
        self.last_modified = last_modified
        self.modified_at = 1_700_000_000.0
        self.status: int | None = None
        self.required_headers: dict[str, str] = {}
        # path -> Location: answered with a 302 before anything else.
        self.redirects: dict[str, str] = {}
        # Seconds between the body's bytes (headers first, at once): a slow-drip source.
        self.drip: float | None = None
        # Seconds between spaces sent after the whole body, with no Content-Length: the body ends
        # only when the connection does (a source that never finishes a whole answer).
        self.trail: float | None = None
        # Bytes of filler sent instead of the body; `declare_length` says whether Content-Length does.
        self.flood: int | None = None
        self.declare_length = True
        self.flood_sent = 0
        self.paths: deque[str] = deque(maxlen=16)
        self._stopping = threading.Event()
        # Cleared: every request waits here until it is set again (a slow or hung server).
        self.gate = threading.Event()
        self.gate.set()
        self.answers: Counter[int] = Counter()
        # The latest few only: the server runs in the tests' process, and the leak tests trace its memory.
        self.request_headers: deque[dict[str, str]] = deque(maxlen=16)
        self.lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}/botguard.json"
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def set_body(self, body: bytes) -> None:
        with self.lock:
            self.body = body
            self.modified_at += 10

    @property
    def requests(self) -> int:
        with self.lock:
            return sum(self.answers.values())

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self.gate.set()
        if self._thread.is_alive():  # shutdown() waits for serve_forever, which must be running
            self._httpd.shutdown()
            self._thread.join()
        self._httpd.server_close()

    def base(self) -> str:
        return self.url.rsplit("/", 1)[0]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
                server.gate.wait()
                with server.lock:
                    headers = {k.lower(): v for k, v in self.headers.items()}
                    server.request_headers.append(headers)
                    server.paths.append(self.path)
                    location = server.redirects.get(self.path.split("?")[0])
                    if location is not None:
                        status, extra, body = 302, {"Location": location}, b""
                    else:
                        status, extra, body = server._answer(headers)
                    server.answers[status] += 1
                    drip, flood, declare_length = server.drip, server.flood, server.declare_length
                    trail = server.trail
                self.send_response(status)
                for name, value in extra.items():
                    self.send_header(name, value)
                if flood is not None and status == 200:
                    self._flood(flood, declare_length)
                    return
                if trail is not None and status == 200:
                    self.close_connection = True
                    self.end_headers()
                    self.wfile.write(body)
                    self._drip(b" " * 1000, trail)
                    return
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if drip is not None and status == 200:
                    self._drip(body, drip)
                else:
                    self.wfile.write(body)

            def _drip(self, body: bytes, seconds: float) -> None:
                self.wfile.flush()
                for i in range(len(body)):
                    if server._stopping.wait(seconds):
                        return
                    try:
                        self.wfile.write(body[i : i + 1])
                        self.wfile.flush()
                    except OSError:  # the client gave up
                        return

            def _flood(self, size: int, declare_length: bool) -> None:
                if declare_length:
                    self.send_header("Content-Length", str(size))
                else:
                    self.close_connection = True  # the body ends when the connection does
                self.end_headers()
                chunk = b" " * 65536
                sent = 0
                try:
                    while sent < size and not server._stopping.is_set():
                        piece = chunk[: size - sent]
                        self.wfile.write(piece)
                        sent += len(piece)
                        with server.lock:
                            server.flood_sent = sent
                except OSError:  # the client stopped reading and closed
                    pass

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler

    def _answer(self, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        if self.status is not None:
            return self.status, {}, b"oops"
        for name, value in self.required_headers.items():
            if headers.get(name.lower()) != value:
                return 401, {}, b"unauthorized"
        extra = {"Content-Type": "application/json"}
        tag = '"' + hashlib.sha256(self.body).hexdigest()[:16] + '"'
        stamp = email.utils.formatdate(self.modified_at, usegmt=True)
        if self.etag:
            extra["ETag"] = tag
        if self.last_modified:
            extra["Last-Modified"] = stamp
        if self.etag and headers.get("if-none-match") == tag:
            return 304, extra, b""
        if not self.etag and self.last_modified and headers.get("if-modified-since") == stamp:
            return 304, extra, b""
        return 200, extra, self.body


@contextmanager
def config_server(body: bytes, **options: Any) -> Iterator[ConfigServer]:
    server = ConfigServer(body, **options)
    server.start()
    try:
        yield server
    finally:
        server.stop()
