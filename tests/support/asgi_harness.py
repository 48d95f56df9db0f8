"""A raw scope/receive/send harness: drive an ASGI app with exactly the messages we choose."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Result:
    status: int | None = None
    headers: dict[bytes, bytes] = field(default_factory=dict)
    body: bytes = b""
    messages: list[dict[str, Any]] = field(default_factory=list)
    scope: dict[str, Any] = field(default_factory=dict)
    app_called: bool = False

    def json(self) -> Any:
        return json.loads(self.body)


def http_scope(headers: list[tuple[bytes, bytes]] | None = None, path: str = "/", kind: str = "http") -> dict[str, Any]:
    return {
        "type": kind,
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http" if kind == "http" else "ws",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers or [],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }


def ua_headers(*values: bytes | str) -> list[tuple[bytes, bytes]]:
    return [(b"user-agent", v.encode("latin-1") if isinstance(v, str) else v) for v in values]


async def ok_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """A downstream app that records it ran and answers 200 (or accepts a websocket)."""
    scope["_app_called"] = True
    if scope["type"] == "websocket":
        await receive()
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.close", "code": 1000})
        return
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"ok"})


def run(app: Any, scope: dict[str, Any]) -> Result:
    result = Result(scope=scope)
    inbox = [{"type": "websocket.connect"} if scope["type"] == "websocket" else {"type": "http.request", "body": b""}]

    async def receive() -> dict[str, Any]:
        if inbox:
            return inbox.pop(0)
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        result.messages.append(message)
        if message["type"].endswith("http.response.start"):
            result.status = message["status"]
            result.headers = dict(message.get("headers", []))
        elif message["type"].endswith("http.response.body"):
            result.body += message.get("body", b"")

    asyncio.run(app(scope, receive, send))
    result.app_called = bool(scope.get("_app_called"))
    return result
