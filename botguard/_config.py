"""`Config`: one immutable, validated, compiled botguard configuration."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from http import HTTPStatus
from typing import Any

from ._errors import ConfigError
from ._patterns import PatternList
from ._rulesets import BUILTIN_NAMES, Rule, RuleSet, builtin_ruleset
from ._verdict import Verdict

__all__ = ["Config", "Explanation", "BlockResponse", "POLICY_RULES", "grpc_response", "GRPC_TRAILERS"]

# Kong's names for the two lists: a Kong plugin config migrates as it is.
_ALIASES = {"whitelist": "allow", "blacklist": "deny"}
_POLICIES = {
    "missing_ua": ("allow", "block"),
    "empty_ua": ("allow", "block"),
    "duplicate_ua": ("reject", "first"),
}
# The rules a policy decision reports, so `explain` can say why a request was refused.
POLICY_RULES = {
    "missing_ua": Rule(pattern="<no User-Agent header>", index=0, source="missing_ua"),
    "empty_ua": Rule(pattern="<empty User-Agent>", index=0, source="empty_ua"),
}
_DEFAULT_BODY = '{"message": "Forbidden"}'


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why a User-Agent got its verdict: which list decided and which of its rules matched."""

    verdict: Verdict
    list: str | None
    rule: Rule | None
    # A pattern search ran out of time: the verdict may differ next time, so it is not cached.
    timed_out: bool = False

    def __str__(self) -> str:
        if self.rule is None:
            return f"{self.verdict.name}: no rule matched"
        return f"{self.verdict.name}: {self.list}[{self.rule.index}] {self.rule.pattern!r} ({self.rule.source})"


@dataclass(frozen=True, slots=True)
class BlockResponse:
    """A prebuilt HTTP answer: status, headers as (bytes, bytes) pairs, body.

    `headers` is always complete. `trailers` names headers (gRPC's `grpc-status`, ...) that a
    server able to send trailers should send as trailers instead: HTTP/2 gRPC clients read the
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


@dataclass(frozen=True, eq=False, kw_only=True)
class Config:
    """An immutable botguard configuration, validated and compiled when it is built.

        config = Config(allow=[r"(?i)uptime-kuma"], deny=[r"(?i)scrapy"], builtin="default")

    Arguments:
        allow: regexes that admit a User-Agent before anything else is checked.
        deny: regexes that refuse a User-Agent (verdict DENY).
        builtin: the built-in bot list, "default", "kong", or None for none (verdict BOT).
        cache_size: verdicts kept per config (an LRU keyed by the raw header).
        match_timeout: seconds one `allow`/`deny` search may take before it counts as no match.
        monitor: decide and report, but never block.
        missing_ua, empty_ua: "allow" (Kong's behaviour) or "block".
        duplicate_ua: "reject" (400, Kong's behaviour) or "first" (judge the first header).
        block_status, block_body, block_content_type, retry_after: the answer to a blocked request.
        verdict_header: a response header that tells clients their verdict; None (default) sends none.
        on_block: a callable `(request, verdict) -> (status, headers, body)` for full control of the
            answer; `request` is the ASGI scope or the WSGI environ. Code only, not from files.

    Configs compare by identity (`eq=False`): each has its own verdict cache, so two equal configs
    built separately are two caches. Build a config once, or let a `ConfigLoader` keep it stable.
    """

    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()
    builtin: str | None = "default"
    cache_size: int = 10_000
    match_timeout: float = 0.05
    monitor: bool = False
    missing_ua: str = "allow"
    empty_ua: str = "allow"
    duplicate_ua: str = "reject"
    block_status: int = 403
    block_body: str = _DEFAULT_BODY
    block_content_type: str = "application/json"
    retry_after: int | None = None
    verdict_header: str | None = None
    on_block: Callable[[Any, Verdict], tuple[int, Iterable[tuple[str, str]], bytes | str]] | None = None

    _allow: PatternList = field(init=False, repr=False)
    _deny: PatternList = field(init=False, repr=False)
    _builtin: RuleSet | None = field(init=False, repr=False)
    _block_response: BlockResponse = field(init=False, repr=False)
    _grpc_block_response: BlockResponse = field(init=False, repr=False)
    _verdict_header: bytes | None = field(init=False, repr=False)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        for name in ("allow", "deny"):
            set_(self, name, _pattern_tuple(name, getattr(self, name)))
        if self.builtin is not None and self.builtin not in BUILTIN_NAMES:
            raise ConfigError(f"builtin: unknown rule set {self.builtin!r}; choose one of {list(BUILTIN_NAMES)} or None")
        _check_int("cache_size", self.cache_size, low=1)
        if isinstance(self.match_timeout, bool) or not isinstance(self.match_timeout, (int, float)) or not (
            0 < self.match_timeout <= 10
        ):
            raise ConfigError(f"match_timeout: expected seconds in (0, 10], got {self.match_timeout!r}")
        if not isinstance(self.monitor, bool):
            raise ConfigError(f"monitor: expected true or false, got {self.monitor!r}")
        for name, choices in _POLICIES.items():
            if getattr(self, name) not in choices:
                raise ConfigError(f"{name}: expected one of {list(choices)}, got {getattr(self, name)!r}")
        _check_int("block_status", self.block_status, low=400, high=599)
        if self.retry_after is not None:
            _check_int("retry_after", self.retry_after, low=0)
        for name in ("block_body", "block_content_type"):
            if not isinstance(getattr(self, name), str):
                raise ConfigError(f"{name}: expected a string, got {getattr(self, name)!r}")
        _check_header_value("block_content_type", self.block_content_type)
        if self.verdict_header is not None:
            _check_header_name("verdict_header", self.verdict_header)
        if self.on_block is not None and not callable(self.on_block):
            raise ConfigError(f"on_block: expected a callable, got {self.on_block!r}")

        set_(self, "_allow", PatternList("allow", self.allow, self.match_timeout))
        set_(self, "_deny", PatternList("deny", self.deny, self.match_timeout))
        set_(self, "_builtin", None if self.builtin is None else builtin_ruleset(self.builtin))
        body = self.block_body.encode()
        set_(
            self,
            "_block_response",
            BlockResponse(self.block_status, _headers(self.block_content_type.encode("latin-1"), body, self.retry_after), body),
        )
        message = _block_message(self.block_status, self.block_body, self.block_content_type)
        set_(self, "_grpc_block_response", grpc_response(self.block_status, message, self.retry_after))
        set_(self, "_verdict_header", None if self.verdict_header is None else self.verdict_header.lower().encode())

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any]) -> Config:
        """Build a config from a dict such as a parsed TOML or JSON file.

            Config.from_mapping({"deny": ["(?i)scrapy"], "builtin": "kong"})

        Keys are the field names; Kong's `whitelist`/`blacklist` are accepted for `allow`/`deny`.
        Unknown keys, and `on_block` (code only), are a `ConfigError` naming them.
        """
        if not isinstance(mapping, Mapping):
            raise ConfigError(f"config: expected a table of settings, got {type(mapping).__name__}")
        known = {f.name for f in fields(cls) if f.init and f.name != "on_block"}
        kwargs: dict[str, Any] = {}
        unknown = []
        for key, value in mapping.items():
            name = _ALIASES.get(key, key)
            if name not in known:
                unknown.append(key)
            elif name in kwargs:
                raise ConfigError(f"{key}: given twice (as {name!r} and its Kong alias)")
            else:
                kwargs[name] = value
        if unknown:
            raise ConfigError(f"unknown key(s) {sorted(map(str, unknown))}; known keys: {sorted(known | set(_ALIASES))}")
        return cls(**kwargs)

    def explain_text(self, text: str | None) -> Explanation:
        """Decide a normalized User-Agent (None when the header is missing), uncached."""
        if text is None:
            if self.missing_ua == "block":
                return Explanation(Verdict.DENY, "policy", POLICY_RULES["missing_ua"])
            return Explanation(Verdict.NONE, None, None)
        timed_out = False
        if self._allow:
            rule, timed_out = self._allow.search(text)
            if rule is not None:
                return Explanation(Verdict.ALLOW, "allow", rule, timed_out)
        if not text and self.empty_ua == "block":
            return Explanation(Verdict.DENY, "policy", POLICY_RULES["empty_ua"], timed_out)
        if self._deny:
            rule, deny_timed_out = self._deny.search(text)
            timed_out = timed_out or deny_timed_out
            if rule is not None:
                return Explanation(Verdict.DENY, "deny", rule, timed_out)
        if self._builtin is not None and (rule := self._builtin.search(text)) is not None:
            return Explanation(Verdict.BOT, "builtin", rule, timed_out)
        return Explanation(Verdict.NONE, None, None, timed_out)


def _pattern_tuple(name: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise ConfigError(f"{name}: expected a list of regex strings, got {type(value).__name__}: {value!r}")
    return tuple(value)


def _check_int(name: str, value: Any, *, low: int, high: int | None = None) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (high is not None and value > high):
        bound = f"from {low} to {high}" if high is not None else f"of at least {low}"
        raise ConfigError(f"{name}: expected a whole number {bound}, got {value!r}")


_TOKEN = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _check_header_name(name: str, value: Any) -> None:
    if not isinstance(value, str) or not value or not set(value) <= _TOKEN:
        raise ConfigError(f"{name}: not a valid HTTP header name: {value!r}")


def _check_header_value(name: str, value: str) -> None:
    if any(c in value for c in "\r\n\0") or not value.isascii():
        raise ConfigError(f"{name}: not a valid HTTP header value: {value!r}")
