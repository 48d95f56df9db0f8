"""Serve an app for real: a uvicorn (or other) server in a subprocess on 127.0.0.1, then tear it down."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
# The readiness probe looks like a browser, so that no rule set refuses or counts it as a bot.
PROBE_AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"


def raw_request(base: str, lines: list[str], until_head: bool = False) -> bytes:
    """Send exactly these request lines (so a header can be repeated) and read the whole answer,
    or with `until_head` only its head (a refused websocket handshake leaves the connection open)."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
            if until_head and b"\r\n\r\n" in b"".join(chunks):
                break
    return b"".join(chunks)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def ipv6_loopback_works() -> bool:
    """True when this machine can listen on and connect to [::1]."""
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6) as server:
            server.bind(("::1", 0))
            server.listen(1)
            with socket.create_connection(server.getsockname()[:2], timeout=2):
                return True
    except OSError:
        return False


def wait_until_serving(url: str, proc: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
            raise RuntimeError(f"server exited with {proc.returncode}:\n{out}")
        try:
            httpx.get(url, timeout=0.5, headers={"user-agent": PROBE_AGENT})
            return
        except httpx.TransportError:
            time.sleep(0.05)
    raise TimeoutError(f"{url} did not answer within {timeout}s")


@contextlib.contextmanager
def serve(
    argv: Sequence[str], port: int, env: dict[str, str] | None = None, probe: str = "/", host: str = "127.0.0.1"
) -> Iterator[str]:
    """Run `argv` (which must listen on `host`:`port`, 127.0.0.1 by default) and yield its base URL."""
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    proc = subprocess.Popen(
        list(argv), cwd=ROOT, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    base = f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
    try:
        wait_until_serving(base + probe, proc)
        yield base
    finally:
        stop(proc)


@contextlib.contextmanager
def serve_uvicorn(app: str, *extra: str, env: dict[str, str] | None = None, host: str = "127.0.0.1") -> Iterator[str]:
    """Serve the ASGI app `module:attr` with a real uvicorn on `host` (127.0.0.1 by default)."""
    port = free_port(host)
    argv = [sys.executable, "-m", "uvicorn", app, "--host", host, "--port", str(port), "--log-level", "warning", *extra]
    with serve(argv, port, env=env, host=host) as base:
        yield base


@contextlib.contextmanager
def serve_gunicorn(app: str, *extra: str) -> Iterator[str]:
    """Serve the WSGI app `module:attr` with a real gunicorn on 127.0.0.1: one worker, four threads."""
    port = free_port()
    argv = [sys.executable, "-m", "gunicorn", app, "-b", f"127.0.0.1:{port}", "--threads", "4", "--log-level", "warning", *extra]
    with serve(argv, port) as base:
        yield base


def stop(proc: subprocess.Popen[Any]) -> None:
    """End a server or browser process: politely, then for good after 10 s; close its output."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    if proc.stdout:
        proc.stdout.close()
