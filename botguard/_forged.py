"""Does a request that claims a mainstream browser carry the headers that browser always sends?

Framework-free and pure: `browser_claim` reads a User-Agent once (its result is cached with the
verdict), `forged_reason` looks at a few other headers of each request, and `origin_security`
says whether the browser saw the origin as secure (which decides what it sends).

Every check below names the release since which *every* request of that browser carries the
header, and the case it could get wrong. Where a browser's behaviour is not certain (an old
release, a WebView, a browser on iOS, Safari on loopback hosts, client hints on WebSocket
handshakes), the check is not made: a missing check lets a script through, a wrong one refuses
a person.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Final

__all__ = [
    "BrowserClaim",
    "Headers",
    "HTTPS",
    "LOOPBACK",
    "NOT_SECURE",
    "WEBSOCKET_SCHEMES",
    "browser_claim",
    "chromium_brand_version",
    "forged_reason",
    "forwarded_proto_host",
    "is_loopback_host",
    "origin_security",
]

#: A request's headers by lower-case name, names and values raw bytes (as ASGI spells them):
#: `dict(scope["headers"])` is one, `Request.header_map()` another.
Headers = Mapping[bytes, bytes]

# How secure the browser considered the origin it sent the request to: Fetch Metadata and client
# hints go only to "potentially trustworthy" URLs (the Secure Contexts spec's "potentially trustworthy origin"): https,
# and http to a loopback host.
NOT_SECURE: Final = 0
LOOPBACK: Final = 1
HTTPS: Final = 2

# Releases since which a browser sends `Sec-Fetch-Site` and `Sec-Fetch-Mode` on every request to a
# potentially trustworthy URL (Fetch Metadata Request Headers, W3C; the two headers shipped
# together in each browser; `Sec-Fetch-Dest` came later in Chrome, so it is not required):
#   Chrome 76 (July 2019; Edge, Opera and Samsung Internet follow
#   the Chromium version in their `Chrome/` token), Firefox 90 (release notes, July 2021),
#   Safari 16.4 (release notes, March 2023).
_FETCH_METADATA_CHROMIUM: Final = 76
_FETCH_METADATA_FIREFOX: Final = 90
_FETCH_METADATA_SAFARI: Final = (16, 4)
# The release since which Chrome sends the low-entropy User-Agent client hints `Sec-CH-UA`,
# `Sec-CH-UA-Mobile` (and, from 93, `Sec-CH-UA-Platform`) on every request to a secure origin
# (User-Agent Client Hints, WICG; Chrome 89, March 2021).
# Edge and Opera ship the same code; their `Sec-CH-UA` always lists a "Chromium" brand whose
# version is the `Chrome/` token's major version.
_CLIENT_HINTS_CHROMIUM: Final = 89

# The product tokens after "(KHTML, like Gecko)" that Chrome, Edge, Opera and Samsung Internet
# write, and nothing else: a User-Agent with any other token (a WebView's "Version/4.0", an
# Electron app, YaBrowser, a crawler's "+http://...") claims no mainstream browser here.
_CHROMIUM_TAIL: Final = re.compile(
    r"(?:SamsungBrowser/(\d+)[\d.]* )?Chrome/(\d+)[\d.]* (?:Mobile )?Safari/537\.36"
    r"(?: (Edg|EdgA|OPR)/(\d+)[\d.]*)?"
)
_SAFARI_TAIL: Final = re.compile(r"Version/(\d+)(?:\.(\d+))?[\d.]* (?:Mobile/\w+ )?Safari/[\d.]+")
# Chrome, Firefox and Edge on iOS are WebKit underneath and send what Safari sends, but their
# User-Agent carries no Safari version: only the checks that hold for every release apply.
_IOS_TAIL: Final = re.compile(r"(CriOS|FxiOS|EdgiOS)/(\d+)[\d.]* Mobile/\w+ Safari/[\d.]+")
_WEBKIT: Final = re.compile(r"Mozilla/5\.0 \(([^()]*)\) AppleWebKit/[\d.]+\+? \(KHTML, like Gecko\) (.+)")
_FIREFOX: Final = re.compile(r"Mozilla/5\.0 \(([^()]*); rv:[\d.]+\) Gecko/[\d.]+ Firefox/(\d+)\.[\d.]*(?:esr)?")
_CHROMIUM_NAMES: Final = {None: "Chrome", "Edg": "Edge", "EdgA": "Edge", "OPR": "Opera"}
_IOS_NAMES: Final = {"CriOS": "Chrome", "FxiOS": "Firefox", "EdgiOS": "Edge"}
# One brand of a `Sec-CH-UA` list (RFC 8941 structured field: a list of strings with a `v`
# parameter). Only the "Chromium" brand is read; GREASE brands ("Not:A-Brand") are not.
_CHROMIUM_BRAND: Final = re.compile(r'(?:^|,)\s*"Chromium"\s*;\s*v\s*=\s*"(\d+)')


@dataclass(frozen=True, slots=True)
class BrowserClaim:
    """The browser a User-Agent claims to be, and which headers that browser sends on every request.

    `label` is how an explanation names it ("Chrome 131"). `fetch_metadata` is the least secure
    origin (`HTTPS` or `LOOPBACK`) to which it always sends `Sec-Fetch-Site`/`-Mode`, or None when
    it may not (an older release). `chromium` is the major version of the `Chrome/` token when the
    claim should send `Sec-CH-UA` to secure origins, else None.
    """

    label: str
    fetch_metadata: int | None = None
    chromium: int | None = None
    # Prebuilt when the claim is read, so that a request that agrees costs a few dict lookups and
    # one substring search: `"Chromium";v="131"`, and by `security` (NOT_SECURE, LOOPBACK,
    # HTTPS) whether Fetch Metadata and `Sec-CH-UA` must be there.
    brand: bytes | None = field(init=False, default=None)
    expects: tuple[tuple[bool, bool], ...] = field(init=False, default=())

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        if self.chromium is not None:
            set_(self, "brand", f'"Chromium";v="{self.chromium}"'.encode())
        fetch = self.fetch_metadata
        set_(
            self,
            "expects",
            tuple(
                (fetch is not None and security >= fetch, self.chromium is not None and security > NOT_SECURE)
                for security in (NOT_SECURE, LOOPBACK, HTTPS)
            ),
        )


def browser_claim(user_agent: str) -> BrowserClaim | None:
    """The mainstream browser a User-Agent claims to be (None for anything else), from its exact form.

        browser_claim("Mozilla/5.0 (X11; Linux x86_64) ... Chrome/131.0.0.0 Safari/537.36").label  # "Chrome 131"

    Only the shapes these browsers write are recognised; a User-Agent that adds or changes a
    product token is not a claim to be one of them (the rules judge it as before).
    """
    if not user_agent.startswith("Mozilla/5.0 ("):
        return None
    webkit = _WEBKIT.fullmatch(user_agent)
    if webkit is not None:
        platform, tail = webkit.groups()
        if (chromium := _CHROMIUM_TAIL.fullmatch(tail)) is not None:
            return _chromium_claim(platform, *chromium.groups())
        if (safari := _SAFARI_TAIL.fullmatch(tail)) is not None:
            major, minor = int(safari.group(1)), int(safari.group(2) or 0)
            # Safari's Fetch Metadata is required on https only: whether it sends it to http
            # loopback hosts was not measured, so it is not assumed.
            fetch = HTTPS if (major, minor) >= _FETCH_METADATA_SAFARI else None
            return BrowserClaim(f"Safari {major}", fetch)
        if (ios := _IOS_TAIL.fullmatch(tail)) is not None:
            return BrowserClaim(f"{_IOS_NAMES[ios.group(1)]} {ios.group(2)} on iOS")
        return None
    firefox = _FIREFOX.fullmatch(user_agent)
    if firefox is not None:
        major = int(firefox.group(2))
        return BrowserClaim(f"Firefox {major}", LOOPBACK if major >= _FETCH_METADATA_FIREFOX else None)
    return None


def _chromium_claim(platform: str, samsung: str | None, chrome: str, vendor: str | None, version: str | None) -> BrowserClaim | None:
    chromium = int(chrome)
    fetch = LOOPBACK if chromium >= _FETCH_METADATA_CHROMIUM else None
    if samsung is not None:
        if vendor is not None:
            return None
        # Samsung Internet's client hints were not measured: only Fetch Metadata is required.
        return BrowserClaim(f"Samsung Internet {int(samsung)}", fetch)
    label = f"{_CHROMIUM_NAMES[vendor]} {chromium if version is None else int(version)}"
    return BrowserClaim(label, fetch, chromium if chromium >= _CLIENT_HINTS_CHROMIUM else None)


def chromium_brand_version(sec_ch_ua: str) -> int | None:
    """The major version of the "Chromium" brand in a `Sec-CH-UA` value, or None when it lists none.

        chromium_brand_version('"Not:A-Brand";v="8", "Chromium";v="156"')  # 156
    """
    found = _CHROMIUM_BRAND.search(sec_ch_ua)
    if found is None:
        return None
    digits = found.group(1)
    # A version is a few digits; a longer run is not a browser's, and int() of it would be slow.
    return int(digits) if len(digits) <= 6 else None


# The schemes of a WebSocket handshake (an ASGI "websocket" scope's, an origin's), with or without
# an `Upgrade` header.
WEBSOCKET_SCHEMES: Final = ("ws", "wss")


def forged_reason(claim: BrowserClaim, headers: Headers, security: int, websocket: bool = False) -> str | None:
    """Why a request's headers contradict its User-Agent's claim, or None when they do not.

        forged_reason(claim, {b"accept": b"*/*"}, NOT_SECURE)
        # 'claims Chrome 131 but sends no Accept-Language'

    Arguments:
        claim: what the User-Agent claims (`browser_claim`).
        headers: the request's headers by lower-case name (`Headers`).
        security: how secure the browser saw the origin (`origin_security`).
        websocket: the request is a WebSocket handshake by its protocol (an ASGI "websocket"
            scope), which over HTTP/2 (RFC 8441) carries no `Upgrade` header.
    """
    # The path of a browser's request, a few dict lookups: every header it must send is there,
    # it is no WebSocket handshake, it names a language, and its Sec-CH-UA (if any) agrees.
    expected_fetch, hinted = claim.expects[security]
    if (
        b"accept" in headers
        and b"upgrade" not in headers
        and not websocket
        and (not expected_fetch or (b"sec-fetch-site" in headers and b"sec-fetch-mode" in headers))
        and (language := headers.get(b"accept-language")) is not None
        and language.strip() not in _NO_LANGUAGE
    ):
        if claim.brand is None:
            return None
        hints = headers.get(b"sec-ch-ua")
        if hints is None:
            if not hinted:
                return None
        # `find`, not `in`: for bytes, `in` costs four times as much (CPython 3.11).
        elif hints.find(claim.brand) >= 0:
            return None
    # Something is missing or odd: find what, in the order a reader would check.
    header = headers.get
    upgrade = header(b"upgrade")
    if websocket or (upgrade is not None and upgrade.lower() in _WEBSOCKET):
        # A browser's WebSocket handshake always carries `Origin` (RFC 6455 section 4.1:
        # "if the request is coming from a browser client"; the Fetch spec's "obtain a WebSocket
        # connection" sets it). Chromium sends neither `Accept` nor Fetch Metadata nor client
        # hints on it (measured: Chromium 156), and what Safari and older releases send was not
        # measured: only `Origin`, and a `Sec-CH-UA` that is there must agree.
        if header(b"origin") is None:
            return f"claims {claim.label} but its WebSocket handshake sends no Origin"
        return _brand_mismatch(claim, header)
    # Every browser sends `Accept-Language` on every request (Chrome, Firefox and Safari since
    # their first releases; the Fetch spec's "HTTP-network-or-cache fetch" appends it). Privacy
    # modes (Tor Browser, Firefox's resistFingerprinting, Brave) send one language rather than
    # none. Could be wrong for: a Firefox whose `intl.accept_languages` pref was emptied by hand,
    # an extension or proxy that strips the header.
    language = header(b"accept-language")
    if language is None:
        return f"claims {claim.label} but sends no Accept-Language"
    if language.strip() in _NO_LANGUAGE:
        # Node's fetch (undici) sends `*`; a browser sends the user's languages.
        return f"claims {claim.label} but sends Accept-Language {language.strip().decode('latin-1')!r} (no language)"
    # Every request a browser makes carries `Accept` (the Fetch spec's "fetch" algorithm appends a
    # default when the request has none; `*/*` for fetch() and XHR).
    if header(b"accept") is None:
        return f"claims {claim.label} but sends no Accept"
    fetch = claim.fetch_metadata
    if fetch is not None and security >= fetch:
        # `Sec-Fetch-Site` and `-Mode` go with every request to a potentially trustworthy URL
        # (the Fetch Metadata spec). Could be wrong for: a proxy or CDN that strips
        # unknown `Sec-*` headers, a proxy that rewrites `Host` to a loopback address (see
        # `origin_security`).
        if header(b"sec-fetch-site") is None:
            return f"claims {claim.label} but sends no Sec-Fetch-Site to a secure origin"
        if header(b"sec-fetch-mode") is None:
            return f"claims {claim.label} but sends no Sec-Fetch-Mode to a secure origin"
    if claim.brand is not None:
        if security and header(b"sec-ch-ua") is None:
            return f"claims {claim.label} but sends no Sec-CH-UA to a secure origin"
        return _brand_mismatch(claim, header)
    return None


_WEBSOCKET: Final = frozenset((b"websocket",))
_NO_LANGUAGE: Final = frozenset((b"", b"*"))


def _brand_mismatch(claim: BrowserClaim, header: Callable[[bytes], bytes | None]) -> str | None:
    # The "Chromium" brand of `Sec-CH-UA` is the engine's major version, which is also the
    # `Chrome/` token of the User-Agent (the UA-CH spec's brand list; User-Agent reduction keeps
    # the major version). Could be wrong for: a person whose extension rewrites the User-Agent but not the
    # client hints (an inconsistency a forger shares).
    raw = header(b"sec-ch-ua")
    if raw is None or claim.brand is None or raw.find(claim.brand) >= 0:
        return None
    hints = raw.decode("latin-1")
    version = chromium_brand_version(hints)
    if version is None or version == claim.chromium:
        # No "Chromium" brand (a fork that names only itself): nothing to compare.
        return None
    label = claim.label
    # Edge and Opera name their own version; the comparison is with their `Chrome/` token.
    engine = "" if label.startswith("Chrome ") else f" (Chromium {claim.chromium})"
    return f"claims {label}{engine} but Sec-CH-UA says Chromium {version}"


def is_loopback_host(host: str | None) -> bool:
    """True when a `Host` value names a loopback host: `localhost`, 127.0.0.0/8 or `[::1]`, any port.

        is_loopback_host("localhost:8000")  # True
    """
    if not host:
        return False
    host = host.strip().lower()
    if host.startswith("["):
        end = host.find("]")
        if end < 0:
            return False
        name, rest = host[1:end], host[end + 1 :]
        if rest and not (rest[0] == ":" and _is_port(rest[1:])):
            return False
    else:
        name, colon, port = host.partition(":")
        if colon and not _is_port(port):
            return False
    if name == "localhost" or name == "localhost.":
        return True
    if not name[:1].isdigit() and ":" not in name:
        # A name, not an address (an IPv4 address starts with a digit, an IPv6 one holds a
        # colon): the common case over http, answered without `ipaddress`'s exception (2.6 µs).
        return False
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _is_port(text: str) -> bool:
    return text.isascii() and text.isdigit() and len(text) <= 5


def origin_security(
    scheme: str,
    host: str | None,
    peer: str | None,
    forwarded_proto: str | None = None,
    forwarded_host: str | None = None,
    from_trusted_proxy: bool = False,
) -> int:
    """How secure the browser saw the origin: `HTTPS`, `LOOPBACK` (http to a loopback host) or `NOT_SECURE`.

        origin_security("http", "127.0.0.1:8000", "127.0.0.1")  # LOOPBACK

    Arguments:
        scheme: the request's scheme as the server saw it ("http", "https", "ws", "wss").
        host: its `Host` header.
        peer: the address of the direct peer.
        forwarded_proto, forwarded_host: `X-Forwarded-Proto` / `X-Forwarded-Host` (or the `proto`
            and `host` of `Forwarded`, see `forwarded_proto_host`), read only when
            `from_trusted_proxy` is true.
        from_trusted_proxy: the peer is one of `Config.trusted_proxies`.

    Behind a trusted proxy its word is taken for the scheme and the host; the `Host` it sends is
    its own choice (often its upstream's address), so a loopback `Host` from it says nothing. A
    loopback `Host` counts only from a loopback peer: a browser that asks for `http://localhost`
    connects to a loopback address. A proxy on the same machine that is not declared trusted and
    rewrites `Host` to its upstream (nginx's default `proxy_pass` without `proxy_set_header Host`)
    looks exactly like that browser: declare it in `trusted_proxies`, or have it keep `Host`.
    """
    if from_trusted_proxy:
        if forwarded_proto is not None:
            # The first (client-facing) value of a list a chain of proxies built.
            scheme = forwarded_proto.split(",", 1)[0].strip().lower()
        if scheme in ("https", "wss"):
            return HTTPS
        return LOOPBACK if forwarded_host is not None and is_loopback_host(forwarded_host.split(",", 1)[0]) else NOT_SECURE
    if scheme in ("https", "wss"):
        return HTTPS
    if is_loopback_host(host) and peer is not None and _is_loopback_peer(peer):
        return LOOPBACK
    return NOT_SECURE


def forwarded_proto_host(forwarded: str) -> tuple[str | None, str | None]:
    """The `proto` and `host` of the first element of an RFC 7239 `Forwarded` header (None where absent).

        forwarded_proto_host('for=203.0.113.7;proto=https;host="shop.example", for=10.0.0.2')  # ("https", "shop.example")

    The first element is the one the client-facing proxy wrote: it saw the browser's scheme and Host.
    """
    proto = host = None
    for pair in forwarded.split(",", 1)[0].split(";"):
        key, sep, value = pair.partition("=")
        if not sep:
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        key = key.strip().lower()
        if key == "proto":
            proto = value
        elif key == "host":
            host = value
    return proto, host


# Starlette's and FastAPI's `TestClient` call the app in process and name their peer so: what a
# browser on the same machine is to a server. No server reports it for a connection.
_IN_PROCESS_PEERS: Final = frozenset({"testclient"})


def _is_loopback_peer(peer: str) -> bool:
    if peer in _IN_PROCESS_PEERS:
        return True
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback
