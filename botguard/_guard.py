"""The framework-free half of every adapter: which config is in force, and what a request gets.

Adapters translate their protocol into a list of raw User-Agent values and a request object
(ASGI scope, WSGI environ), call `Guard.decide`, and either call the app or send the answer.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, Final

from ._cache import (
    VerdictLRU,
    cached_explanation,
    count_request,
    default_config,
    recount_request,
    request_explanation,
    verdict_cache,
)
from ._config import (
    DUPLICATE_GRPC_RESPONSE,
    DUPLICATE_RESPONSE,
    GRPC_TRAILERS,
    BlockResponse,
    Config,
    Explanation,
)
from ._errors import ConfigError
from ._observe import log_block, request_path, safe_text
from ._override import OVERRIDES, forced
from ._types import ConfigSource
from ._verdict import Verdict
from .verify import Outcome, client_ip_from_environ, client_ip_from_scope

__all__ = ["Guard", "Decision", "PendingDecision", "user_agent_values", "wsgi_header_bytes"]

logger = logging.getLogger("botguard")
# A module constant: reading a member off an Enum class costs more than the comparison.
_DENY: Final = Verdict.DENY
_SPOOFED: Final = Verdict.SPOOFED


class Decision:
    """What to do with one request: its verdict (None for a rejected duplicate) and the answer
    to send instead of calling the app (None to pass).

    `explanation` says why, for blocks and crawler claims; a passing request gets a prebuilt,
    shared decision without one (the adapters need only the verdict to pass a request on).
    """

    __slots__ = ("verdict", "explanation", "response", "config")
    # True for a claim to be a verified crawler, which the adapter settles with the client's
    # address (`Guard.settle` / `settle_async`). A class attribute: free for every other request.
    pending: ClassVar[bool] = False

    def __init__(
        self, explanation: Explanation | None, response: BlockResponse | None, config: Config
    ) -> None:
        self.explanation = explanation
        self.verdict: Verdict | None = None if explanation is None else explanation.verdict
        self.response = response
        self.config = config

    @classmethod
    def passing(cls, verdict: Verdict, config: Config) -> Decision:
        """A prebuilt answer for requests that pass with `verdict` (no explanation: it is shared)."""
        decision = cls(None, None, config)
        decision.verdict = verdict
        return decision


def _passing_decisions(config: Config) -> tuple[Decision, ...]:
    # One shared Decision per verdict, indexed by its code: a passing request allocates nothing.
    return tuple(Decision.passing(verdict, config) for verdict in Verdict)


# The config in force, its verdict cache and its passing decisions, swapped whole (one
# assignment, so a thread never sees a config paired with another config's cache).
InForce = tuple[Config, VerdictLRU, tuple[Decision, ...]]


def wsgi_header_bytes(value: str) -> bytes:
    """A WSGI header value as the bytes on the wire, so it decodes and caches as under ASGI."""
    # PEP 3333 hands headers over as latin-1 "bytes in a str": encoding them back gives the bytes.
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:  # a server outside the PEP passed real text; UTF-8 reads back as it
        return value.encode("utf-8", "surrogateescape")


def user_agent_values(headers: Iterable[tuple[bytes, bytes]]) -> list[bytes]:
    """Every `User-Agent` value of an ASGI header list, in arrival order (usually one)."""
    values: list[bytes] = []
    for name, value in headers:
        if name == b"user-agent":
            values.append(value)
    return values


class PendingDecision(Decision):
    """A User-Agent that claims to be a crawler in `Config.verify`: settled by the client's address."""

    __slots__ = ()
    pending: ClassVar[bool] = True


def resolve_config(config: Config | ConfigSource | None, fields: dict[str, Any]) -> Config | ConfigSource:
    """The `config` argument of a middleware, or a `Config` built from its keyword arguments."""
    if fields:
        if config is not None:
            raise ConfigError(f"give either config= or the fields {sorted(fields)}, not both")
        return Config(**fields)
    if config is None:
        return default_config()
    if isinstance(config, Config):
        return config
    if isinstance(config, Mapping):
        # A dict has .get() too: it is settings, not a loader.
        return Config.from_mapping(config)
    if callable(getattr(config, "get", None)):
        return config
    raise ConfigError(f"config: expected a Config or an object with .get(), got {type(config).__name__}")


class Guard:
    """Holds a middleware's config (or its loader) and decides requests against it."""

    __slots__ = ("_source", "_current")

    def __init__(self, config: Config | ConfigSource | None = None, fields: dict[str, Any] | None = None) -> None:
        resolved = resolve_config(config, fields or {})
        if isinstance(resolved, Config):
            self._source: ConfigSource | None = None
            first = resolved
        else:
            self._source = resolved
            first = _checked(resolved.get())
        self._current: InForce = (first, verdict_cache(first), _passing_decisions(first))

    def current(self) -> tuple[Config, VerdictLRU]:
        """The config in force and its verdict cache (a `botguard.testing` override comes first)."""
        config, cache, _ = self._in_force()
        return config, cache

    def _in_force(self) -> InForce:
        if OVERRIDES.count:
            override: tuple[Config, VerdictLRU] | None = forced(self)
            if override is not None:
                return (*override, _passing_decisions(override[0]))  # tests only: built each time
        if self._source is None:
            return self._current
        try:
            config = self._source.get()
        except Exception:
            logger.exception("botguard: the config source failed; keeping the last good config")
            return self._current
        current = self._current
        if current[0] is not config:
            checked = _checked(config)
            current = self._current = (checked, verdict_cache(checked), _passing_decisions(checked))
        return current

    def decide(self, values: list[bytes], request: Any, path: str | None = None) -> Decision:
        """Judge a request by its raw User-Agent values (in arrival order), count it, log a block.

        Arguments:
            values: every `User-Agent` header value of the request, as raw bytes.
            request: the ASGI scope or WSGI environ, for `on_block` and for the log line.
            path: the request path for the log line; None reads it from `request` (only when
                there is a line to write, so passing requests never pay for it).
        """
        # The static config without an override, inline: this is every request's path.
        if self._source is None and not OVERRIDES.count:
            config, cache, passes = self._current
        else:
            config, cache, passes = self._in_force()
        # Counting is part of the lookup (one locked section): a request is counted as passed,
        # blocked or monitored from its verdict and `config.monitor`, exactly as decided below.
        if len(values) == 1:
            explanation = request_explanation(config, cache, values[0])
        elif not values:
            explanation = config.explain_text(None)
            count_request(explanation.verdict, config.monitor)
        elif config.duplicate_ua == "reject":
            return _reject_duplicate(config, cache, values, request, path)
        else:
            explanation = request_explanation(config, cache, values[0])
        verdict = explanation.verdict
        if verdict < _DENY:
            return passes[verdict]
        if verdict is _SPOOFED:
            # Counted (and logged) once settled. Prebuilt, no on_block call yet: an adapter that
            # does not settle claims refuses them.
            return PendingDecision(explanation, None if config.monitor else config._block_response, config)
        user_agent = values[0] if values else None
        if config.monitor:
            log_block("would block", verdict, explanation, _path(path, request), user_agent)
            return passes[verdict]
        log_block("blocked", verdict, explanation, _path(path, request), user_agent)
        return Decision(explanation, _block_response(config, request, verdict), config)


    def settle(
        self, decision: Decision, request: Any, ip: str | None, user_agent: bytes | str = b"", path: str | None = None
    ) -> Decision:
        """A pending decision settled by the client's address, blocking at most `verify_timeout` (WSGI)."""
        config, crawler = _claim_of(decision)
        assert config._verification is not None
        outcome = config._verification.verify_sync(ip, crawler)
        return _settled(config, crawler, request, ip, outcome, user_agent, path)

    async def settle_async(
        self, decision: Decision, request: Any, ip: str | None, user_agent: bytes | str = b"", path: str | None = None
    ) -> Decision:
        """A pending decision settled by the client's address, DNS off the event loop (ASGI)."""
        config, crawler = _claim_of(decision)
        assert config._verification is not None
        outcome = await config._verification.verify_async(ip, crawler)
        return _settled(config, crawler, request, ip, outcome, user_agent, path)


    def decide_scope(self, scope: Mapping[str, Any]) -> Decision:
        """Judge an ASGI request by its headers; a crawler claim comes back pending."""
        return self.decide(user_agent_values(scope["headers"]), scope)

    def decide_environ(self, environ: Mapping[str, Any]) -> Decision:
        """Judge a WSGI request by its environ; a crawler claim comes back pending."""
        value = environ.get("HTTP_USER_AGENT")
        return self.decide([] if value is None else [wsgi_header_bytes(value)], environ)

    async def settle_scope(self, decision: Decision, scope: Mapping[str, Any]) -> Decision:
        """A pending ASGI decision settled by the client's address, DNS off the event loop."""
        config = decision.config
        ip = client_ip_from_scope(scope, config._trusted_proxies, config._proxy_header)
        return await self.settle_async(decision, scope, ip, user_agent_values(scope["headers"])[0])

    def settle_environ(self, decision: Decision, environ: Mapping[str, Any]) -> Decision:
        """A pending WSGI decision settled by the client's address (blocks at most `verify_timeout`)."""
        config = decision.config
        ip = client_ip_from_environ(environ, config._trusted_proxies, config._proxy_header)
        return self.settle(decision, environ, ip, environ.get("HTTP_USER_AGENT") or "")


def _claim_of(decision: Decision) -> tuple[Config, str]:
    explanation = decision.explanation
    if not decision.pending or explanation is None or explanation.crawler is None:
        raise ValueError("only a pending decision (a crawler claim) can be settled")
    return decision.config, explanation.crawler


def _settled(
    config: Config, crawler: str, request: Any, ip: str | None, outcome: Outcome, user_agent: bytes | str, path: str | None
) -> Decision:
    spoofed, verified = config._claim_answers[crawler]
    if outcome.verified:
        # The lookup counted this request by its cached verdict (SPOOFED): it passed as ALLOW.
        recount_request(Verdict.SPOOFED, Verdict.ALLOW, config.monitor)
        return Decision(verified, None, config)
    what = "would block" if config.monitor else "blocked"
    # The ops log line, with who was claimed from where and why DNS said no (escaped: a reverse
    # name is the client's to choose).
    detail = safe_text(f"{what} {crawler} claim from {ip or 'an unknown address'} ({outcome.reason})", 300)
    log_block(detail, Verdict.SPOOFED, spoofed, _path(path, request), user_agent)
    if config.monitor:
        return Decision(spoofed, None, config)
    return Decision(spoofed, _block_response(config, request, Verdict.SPOOFED), config)


def _reject_duplicate(
    config: Config, cache: VerdictLRU, values: list[bytes], request: Any, path: str | None
) -> Decision:
    count_request(None, config.monitor)
    if config.monitor:
        # Monitor mode never refuses: judge the first header, as `duplicate_ua="first"` would
        # (looked up uncounted: this request is counted once, as a rejected one).
        log_block("would reject", None, None, _path(path, request), _joined(values))
        return Decision(cached_explanation(config, cache, values[0]), None, config)
    log_block("rejected", None, None, _path(path, request), _joined(values))
    return Decision(None, DUPLICATE_GRPC_RESPONSE if _is_grpc(request) else DUPLICATE_RESPONSE, config)


def _joined(values: list[bytes]) -> bytes:
    # One log field for all the headers, so the line shows what was sent, not only the first.
    return b" | ".join(values)


def _path(path: str | None, request: Any) -> str | None:
    return path if path is not None else request_path(request)


def _is_grpc(request: Any) -> bool:
    """True when the request is a gRPC call (its content type is `application/grpc...`)."""
    if not isinstance(request, Mapping):
        return False
    if "headers" in request:
        for key, value in request["headers"]:
            if key == b"content-type":
                return bytes(value).lower().startswith(b"application/grpc")
        return False
    return str(request.get("CONTENT_TYPE", "")).lower().startswith("application/grpc")


def _checked(config: Any) -> Config:
    if not isinstance(config, Config):
        raise ConfigError(f"config source returned {type(config).__name__}, not a Config")
    return config


def _block_response(config: Config, request: Any, verdict: Verdict) -> BlockResponse:
    if config.on_block is None:
        return config._grpc_block_response if _is_grpc(request) else config._block_response
    try:
        return _hook_response(*config.on_block(request, verdict))
    except Exception:
        # The hook is the user's code: its failure must not turn a block into a 500.
        logger.exception("botguard: on_block failed; sending the configured block response")
        return config._grpc_block_response if _is_grpc(request) else config._block_response


def _hook_response(status: Any, headers: Any, body: Any) -> BlockResponse:
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
