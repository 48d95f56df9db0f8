"""The answers botguard sends instead of the app's: their HTTP and gRPC encodings, built once.

`Config` prebuilds its block answer in both forms (`block_response`, `grpc_block_response`);
`Guard` picks one per request and adds the verdict header (`with_header`); an `on_block` hook's
answer is checked and encoded by `hook_response`. Adapters only send a `BlockResponse` as it is.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

__all__ = [
    "DUPLICATE_GRPC_RESPONSE",
    "DUPLICATE_RESPONSE",
    "GRPC_TRAILERS",
    "BlockResponse",
    "block_response",
    "grpc_block_response",
    "grpc_response",
    "hook_response",
    "with_header",
]


@dataclass(frozen=True, slots=True)
class BlockResponse:
    """A prebuilt HTTP answer: status, headers as (bytes, bytes) pairs, body.

    `headers` is always complete. `trailers` names headers (gRPC's `grpc-status`, ...) that a
    server able to send trailers should send as trailers too: HTTP/2 gRPC clients read the
    status of a call from trailers, or from headers only when those end the stream.
    """

    status: int
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes
    trailers: tuple[bytes, ...] = ()


def _json_response(status: int, message: str) -> BlockResponse:
    body = json.dumps({"message": message}).encode()
    return BlockResponse(status, _headers(b"application/json", body, None), body)


# HTTP status -> gRPC status code, for answering gRPC calls; unlisted codes are PERMISSION_DENIED
# (7), since whatever the status, the call was refused by policy.
_GRPC_CODES = {400: 3, 401: 16, 403: 7, 404: 5, 409: 6, 429: 8, 499: 1, 500: 13, 501: 12, 503: 14, 504: 4}
GRPC_TRAILERS = (b"grpc-status", b"grpc-message", b"grpc-status-details-bin")
_GRPC_MESSAGE_SAFE = frozenset(range(0x20, 0x7F)) - {ord("%")}


def grpc_response(status: int, message: str, retry_after: int | None = None) -> BlockResponse:
    """The gRPC form of an HTTP refusal: HTTP 200, `application/grpc`, `grpc-status` and `grpc-message`.

    A "Trailers-Only" answer: no message, status in the header block (or in trailers where the
    server can send them, see `BlockResponse.trailers`); `content-length: 0` tells an HTTP/1.1
    client where it ends.
    """
    encoded = "".join(chr(b) if b in _GRPC_MESSAGE_SAFE else f"%{b:02X}" for b in message.encode())
    headers = [
        (b"content-type", b"application/grpc"),
        (b"content-length", b"0"),
        (b"cache-control", b"no-store"),
        (b"grpc-status", str(_GRPC_CODES.get(status, 7)).encode()),
        (b"grpc-message", encoded.encode()),
    ]
    if retry_after is not None:
        headers.append((b"retry-after", str(retry_after).encode()))
    return BlockResponse(200, tuple(headers), b"", trailers=GRPC_TRAILERS[:2])


def _block_message(status: int, body: str, content_type: str) -> str:
    """A one-line message for a block body, for protocols without a body (gRPC's `grpc-message`)."""
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind == "application/json" or kind.endswith("+json"):
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict) and isinstance(parsed.get("message"), str):
            return str(parsed["message"])
    elif kind == "text/plain" and body.strip() and len(body) <= 200 and "\n" not in body.strip():
        return body.strip()
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Forbidden"


def _headers(content_type: bytes, body: bytes, retry_after: int | None) -> tuple[tuple[bytes, bytes], ...]:
    headers = [
        (b"content-type", content_type),
        (b"content-length", str(len(body)).encode()),
        # A CDN must never serve a bot's 403 to people.
        (b"cache-control", b"no-store"),
    ]
    if retry_after is not None:
        headers.append((b"retry-after", str(retry_after).encode()))
    return tuple(headers)


DUPLICATE_MESSAGE = "Only one User-Agent header allowed"
DUPLICATE_RESPONSE = _json_response(400, DUPLICATE_MESSAGE)
DUPLICATE_GRPC_RESPONSE = grpc_response(400, DUPLICATE_MESSAGE)


def block_response(status: int, body: str, content_type: str, retry_after: int | None) -> BlockResponse:
    """The HTTP answer of a config's `block_status`, `block_body`, `block_content_type`, `retry_after`."""
    encoded = body.encode()
    return BlockResponse(status, _headers(content_type.encode("latin-1"), encoded, retry_after), encoded)


def grpc_block_response(status: int, body: str, content_type: str, retry_after: int | None) -> BlockResponse:
    """The same answer for a gRPC call: the body's message as `grpc-message`."""
    return grpc_response(status, _block_message(status, body, content_type), retry_after)


def with_header(response: BlockResponse, header: tuple[bytes, bytes] | None) -> BlockResponse:
    """`response` with one more header (the verdict header), or as it is when `header` is None."""
    if header is None:
        return response
    return BlockResponse(response.status, (*response.headers, header), response.body, response.trailers)


def hook_response(status: Any, headers: Any, body: Any) -> BlockResponse:
    """Check and encode what an `on_block` hook returned; raise ValueError when it is unusable."""
    if isinstance(status, bool) or not isinstance(status, int) or not 200 <= status <= 599:
        raise ValueError(f"on_block: status {status!r} is not a final HTTP status (200-599)")
    if isinstance(body, str):
        body = body.encode()
    elif isinstance(body, (bytearray, memoryview)):
        body = bytes(body)
    elif not isinstance(body, bytes):
        raise ValueError(f"on_block: body must be bytes or str, not {type(body).__name__}")
    if isinstance(headers, Mapping):
        headers = headers.items()
    raw: list[tuple[bytes, bytes]] = []
    for name, value in headers:
        key = _header_bytes(name).lower()
        if key == b"content-length":
            continue  # ours is always right; a hook's could truncate or hang the response
        raw.append((key, _header_bytes(value)))
    for key, value in raw:
        if not key or any(c in key for c in b" \t\r\n\0:") or any(c in value for c in b"\r\n\0"):
            # A header a server would refuse (or, worse, split into two): never sent.
            raise ValueError(f"on_block: invalid header {key!r}: {value!r}")
    raw.append((b"content-length", str(len(body)).encode()))
    grpc = any(k == b"content-type" and v.lower().startswith(b"application/grpc") for k, v in raw)
    trailers = tuple(name for name in GRPC_TRAILERS if any(k == name for k, _ in raw)) if grpc else ()
    return BlockResponse(status, tuple(raw), body, trailers)


def _header_bytes(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    return str(value).encode("latin-1")
