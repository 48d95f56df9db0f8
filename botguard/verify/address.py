"""The client's address: the direct peer, or behind your own proxies the first hop they did not add.

Only `Config.trusted_proxies` lets a proxy header speak for the client; the header is walked from
the right, because only the entries our own proxies appended can be believed.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
from collections.abc import Iterable, Sequence
from typing import Any, Final

from .._errors import ConfigError

__all__ = [
    "IPAddress",
    "IPNetwork",
    "MAX_HOPS",
    "client_ip",
    "parse_ip",
    "parse_networks",
    "peer_from_proxy_header",
    "warn_if_server_forwarded",
]

logger = logging.getLogger("botguard")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Walk at most this many proxy hops: a header with more is treated as unreadable, and a hostile
# 64 KiB header of commas costs no more than a short one.
MAX_HOPS: Final = 32


def parse_ip(text: str) -> IPAddress | None:
    """The address in `text` (a bare IPv4/IPv6 address, `1.2.3.4:80`, `[::1]:80`), or None.

        parse_ip("[2001:db8::1]:443")  # IPv6Address('2001:db8::1')

    IPv4-mapped IPv6 addresses come back as IPv4, and a zone (`%eth0`) is dropped, so one client
    has one spelling. Anything else (`unknown`, `_hidden`, garbage) is None.
    """
    text = text.strip()
    if text.startswith("["):
        end = text.find("]")
        if end < 0 or not _is_port_suffix(text[end + 1 :]):
            return None
        text = text[1:end]
    elif text.count(":") == 1:
        text, _, port = text.partition(":")
        if not _is_port(port):
            return None
    text = text.partition("%")[0]
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def _is_port(text: str) -> bool:
    return 0 < len(text) <= 5 and text.isascii() and text.isdigit()


def _is_port_suffix(text: str) -> bool:
    return not text or (text[0] == ":" and _is_port(text[1:]))


def parse_networks(field: str, values: Iterable[Any]) -> tuple[IPNetwork, ...]:
    """CIDR strings (or bare addresses) as networks; a bad one is a `ConfigError` naming it."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise ConfigError(f"{field}: expected a list of networks such as '10.0.0.0/8', got {values!r}")
    networks = []
    for index, value in enumerate(values):
        try:
            if not isinstance(value, str):
                raise ValueError("not a string")
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError as exc:
            raise ConfigError(f"{field}[{index}]: not an IP network: {value!r} ({exc})") from None
    return tuple(networks)


def _forwarded_for(element: str) -> str:
    """The `for=` value of one RFC 7239 `Forwarded` element, unquoted ("" when it has none)."""
    for pair in element.split(";"):
        key, sep, value = pair.partition("=")
        if sep and key.strip().lower() == "for":
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1]
            return value
    return ""


def client_ip(
    peer: str | None, header_values: Sequence[str], trusted: tuple[IPNetwork, ...], forwarded: bool = False
) -> str | None:
    """The client's address: the direct peer, or, behind trusted proxies, the first untrusted hop.

        client_ip("10.0.0.5", ["66.249.66.1, 10.0.0.7"], (ip_network("10.0.0.0/8"),))  # "66.249.66.1"

    Arguments:
        peer: the address of the direct peer (the socket's other end).
        header_values: every value of the proxy header, in arrival order.
        trusted: the proxies whose header to believe; empty means the header is never read.
        forwarded: the header is RFC 7239 `Forwarded` (else `X-Forwarded-For`).

    The chain is walked from the right, because only the entries our own proxies appended can be
    believed; the walk stops at the first address that is not a trusted proxy. An entry that is
    not an address (garbage, `unknown`, an obfuscated `_hidden` name) where a trusted proxy should
    have written one, or more than `MAX_HOPS` trusted hops, makes the client unknown: None.
    """
    parsed = _peer(peer) if peer else None
    if parsed is None:
        return None
    ip, text = parsed
    if not trusted or not _within(ip, trusted):
        return text
    joined = ",".join(header_values)
    if not joined.strip():
        return text
    entries = joined.rsplit(",", MAX_HOPS)
    for hop, entry in enumerate(reversed(entries)):
        if hop == MAX_HOPS:
            return None
        found = parse_ip(_forwarded_for(entry) if forwarded else entry)
        if found is None:
            return None
        ip = found
        if not _within(ip, trusted):
            return str(ip)
    # Every hop is one of ours: the leftmost is the client (inside the trusted network).
    return str(ip)


@functools.lru_cache(maxsize=4096)
def _peer(peer: str) -> tuple[IPAddress, str] | None:
    # The server's own spelling of the peer (short, and repeated by every request of a client):
    # parsing it costs more than the rest of a cached verification, so it is memoised.
    ip = parse_ip(peer)
    return None if ip is None else (ip, str(ip))


def _within(ip: IPAddress, networks: tuple[IPNetwork, ...]) -> bool:
    return any(ip in network for network in networks)


def peer_from_proxy_header(peer: str | None, port: int | None, forwarded_for: Sequence[bytes]) -> bool:
    """True when the server took the peer's address from `X-Forwarded-For`, not from the socket.

        peer_from_proxy_header("66.249.66.1", 0, [b"66.249.66.1"])  # True: uvicorn's rewrite

    uvicorn's proxy-header middleware (on by default, for peers in `--forwarded-allow-ips`) and
    hypercorn's `ProxyFixMiddleware` replace the ASGI `client` with an entry of the header, with
    that entry's port, or 0 when it has none. A socket's peer never has port 0, and its own
    address and port in the header it sent would be a deliberate coincidence: so a peer equal
    to an entry, port and all, was put there by the server.
    """
    if peer is None or port is None or not forwarded_for:
        return False
    ip = parse_ip(peer)
    if ip is None:
        return False
    joined = b",".join(forwarded_for).decode("latin-1")
    for entry in joined.rsplit(",", MAX_HOPS)[-MAX_HOPS:]:
        entry = entry.strip()
        if parse_ip(entry) == ip and _port_of(entry) == port:
            return True
    return False


def _port_of(entry: str) -> int:
    if entry.startswith("["):
        suffix = entry[entry.find("]") + 1 :]
        return int(suffix[1:]) if _is_port_suffix(suffix) and suffix else 0
    host, sep, port = entry.partition(":")
    return int(port) if sep and ":" not in port and _is_port(port) else 0


_warned = False


def warn_if_server_forwarded(peer: str | None, port: int | None, forwarded_for: Sequence[bytes]) -> None:
    """Log once per process when the server, not `trusted_proxies`, chose the client's address."""
    global _warned
    if _warned or not peer_from_proxy_header(peer, port, forwarded_for):
        return
    _warned = True
    logger.warning(
        "the server took the client address %s from X-Forwarded-For (uvicorn does for "
        "peers in --forwarded-allow-ips, 127.0.0.1 and ::1 by default), so whoever writes that header "
        "chooses the address crawler claims are verified by, and trusted_proxies is bypassed. "
        "Run uvicorn with --no-proxy-headers (gunicorn's uvicorn worker: forwarded_allow_ips = "
        "'') and list your proxies in trusted_proxies; see the verified crawlers page of the docs.",
        parse_ip(peer or ""),  # parsed: never the raw text of a header
    )
