"""A minimal gRPC server as a raw ASGI app behind botguard, for a real gRPC client over hypercorn.

`/echo.Echo/Say` answers one message: the request's bytes, reversed. Any other method is
UNIMPLEMENTED. Messages are raw bytes (no protobuf), framed as gRPC frames them.
"""

import struct
from typing import Any

from botguard import BotGuardMiddleware


async def grpc_echo(scope: Any, receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    if scope["headers"] and not any(k == b"content-type" and v.startswith(b"application/grpc") for k, v in scope["headers"]):
        # The start-up probe of tests/servers.py: plain HTTP.
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"ok"})
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    status, reply = (b"0", body[5:][::-1]) if scope["path"] == "/echo.Echo/Say" else (b"12", None)
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/grpc")], "trailers": True})
    frame = b"" if reply is None else b"\0" + struct.pack(">I", len(reply)) + reply
    await send({"type": "http.response.body", "body": frame})
    await send({"type": "http.response.trailers", "headers": [(b"grpc-status", status)], "more_trailers": False})


# gRPC clients append their library ("grpc-python/1.x ... chttp2"), which the built-in lists call
# bots: this app tests the gRPC answer, so only the named client is refused.
app = BotGuardMiddleware(grpc_echo, deny=[r"(?i)evil"], builtin=None)
