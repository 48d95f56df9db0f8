"""A real HTTP server on 127.0.0.1 that serves a config, counts what it answers, and can fail on demand."""

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
        self.gate.set()
        if self._thread.is_alive():  # shutdown() waits for serve_forever, which must be running
            self._httpd.shutdown()
            self._thread.join()
        self._httpd.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
                server.gate.wait()
                with server.lock:
                    headers = {k.lower(): v for k, v in self.headers.items()}
                    server.request_headers.append(headers)
                    status, extra, body = server._answer(headers)
                    server.answers[status] += 1
                self.send_response(status)
                for name, value in extra.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

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
