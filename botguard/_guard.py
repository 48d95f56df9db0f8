"""The framework-free half of every adapter: which config is in force, and what a request gets.

Adapters build a `Request` (`_request.py`), call `Guard.decide`, settle a crawler claim with
`Guard.settle` / `Guard.asettle`, and answer from the `Decision`: call the app, or send
`decision.response`. Nothing here knows which protocol brought the request.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from typing import Any, Final

from ._cache import (
    REQUESTS,
    VerdictLRU,
    cached_explanation,
    count_request,
    default_config,
    recount_request,
    verdict_cache,
)
from ._config import Config, Explanation, check_field_names
from ._judge import judge
from ._errors import ConfigError
from ._forged import HTTPS, WEBSOCKET_SCHEMES, BrowserClaim, forged_reason, forwarded_proto_host, origin_security
from ._observe import log_block, safe_text, verdict_label
from ._override import OVERRIDES, forced_entry
from ._request import Request
from ._responses import DUPLICATE_GRPC_RESPONSE, DUPLICATE_RESPONSE, BlockResponse, hook_response, with_header
from ._types import ConfigSource
from ._verdict import Verdict
from .verify import Outcome, client_ip, parse_ip
from .verify.address import warn_if_server_forwarded

__all__ = ["Guard", "Decision"]

logger = logging.getLogger("botguard")


class Decision:
    """What to do with one request: everything an adapter needs to answer it.

    Attributes:
        verdict: the verdict (None for a request refused for carrying several User-Agents).
        response: the answer to send instead of calling the app (status, headers, body and,
            for gRPC, which headers go as trailers); None to call the app. Its headers already
            carry the verdict header when the config asks for one.
        header: the verdict header as a (name, value) byte pair, for the app's response when it
            passes (None when the config sends none).
        pending: True for a claim to be a verified crawler, which the adapter settles by the
            client's address (`Guard.settle` / `Guard.asettle`) before answering.
        explanation: why, for blocks and claims (None for a passing request: its decision is
            prebuilt and shared, so a passing request allocates nothing).
        config: the config that decided.
    """

    __slots__ = ("verdict", "explanation", "response", "header", "pending", "config")

    def __init__(
        self,
        verdict: Verdict | None,
        explanation: Explanation | None,
        response: BlockResponse | None,
        config: Config,
        *,
        pending: bool = False,
    ) -> None:
        self.verdict = verdict
        self.explanation = explanation
        self.response = response
        self.config = config
        self.pending = pending
        self.header = _verdict_header(config, verdict)

    def __repr__(self) -> str:
        answer = "pending" if self.pending else "pass" if self.response is None else self.response.status
        return f"<botguard Decision {verdict_label(self.verdict)} {answer}>"


class InForce:
    """A config in force with what is prebuilt for it; swapped whole, in one assignment, so a
    thread never sees a config paired with another config's cache."""

    # A class with slots, not a NamedTuple: unpacking a tuple subclass is not specialised by
    # the interpreter and cost about 30 ns a request in benchmarks/overhead.py.
    __slots__ = ("config", "cache", "counts", "passing", "monitored", "responses")

    def __init__(
        self,
        config: Config,
        cache: VerdictLRU,
        counts: list[int] | None,
        passing: tuple[Decision | None, ...],
        monitored: tuple[Decision, ...],
        responses: Mapping[tuple[Verdict | None, bool], BlockResponse],
    ) -> None:
        self.config = config
        self.cache = cache
        # The config's row of the request counters (`REQUESTS.row`), bumped by the cache lookup.
        self.counts = counts
        # Indexed by verdict code: a shared Decision for a verdict that passes, None for one that
        # blocks. One index answers both "does it pass?" and "with what?", and a passing request
        # allocates nothing.
        self.passing = passing
        # Indexed by verdict code: the shared Decision of a request that monitor mode lets through.
        self.monitored = monitored
        # (verdict, is gRPC) -> the config's block answer, with the verdict header when there is one.
        self.responses = responses


def _in_force(config: Config) -> InForce:
    passing = tuple(None if v.blocked else Decision(v, None, None, config) for v in Verdict)
    monitored = tuple(Decision(v, None, None, config) for v in Verdict)
    responses = {}
    for verdict in (*Verdict, None):
        header = _verdict_header(config, verdict)
        if verdict is None:
            plain, grpc = DUPLICATE_RESPONSE, DUPLICATE_GRPC_RESPONSE
        else:
            plain, grpc = config._block_response, config._grpc_block_response
        responses[verdict, False] = with_header(plain, header)
        responses[verdict, True] = with_header(grpc, header)
    return InForce(config, verdict_cache(config), REQUESTS.row(config.monitor), passing, monitored, responses)


def _verdict_header(config: Config, verdict: Verdict | None) -> tuple[bytes, bytes] | None:
    name = config._verdict_header
    return None if name is None else (name, verdict_label(verdict).encode())


def resolve_config(config: Config | ConfigSource | None, fields: dict[str, Any]) -> Config | ConfigSource:
    """The `config` argument of a middleware, or a `Config` built from its keyword arguments."""
    if fields:
        check_field_names(fields)  # before the conflict below: a typo is the likelier mistake
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
    """Holds a middleware's config (or its loader) and decides requests against it.

        guard = Guard(Config(deny=[r"(?i)scrapy"]))
        decision = guard.decide(request)
        if decision.pending:
            decision = await guard.asettle(decision, request)   # or guard.settle(...) in a thread
        if decision.response is None: ...                       # call the app, with decision.verdict

    Arguments:
        config: a `Config`, a loader (anything with `.get()` returning a `Config`), a dict of
            config-file keys; None means the built-in defaults.
        fields: `Config` fields, to build a config in place (not together with `config`).
    """

    __slots__ = ("_source", "_current")

    def __init__(self, config: Config | ConfigSource | None = None, fields: dict[str, Any] | None = None) -> None:
        resolved = resolve_config(config, fields or {})
        if isinstance(resolved, Config):
            self._source: ConfigSource | None = None
            first = resolved
        else:
            self._source = resolved
            first = _checked(resolved.get())
        self._current = _in_force(first)

    def current(self) -> tuple[Config, VerdictLRU]:
        """The config in force and its verdict cache (a `botguard.testing` override comes first)."""
        current = self._in_force()
        return current.config, current.cache

    def _in_force(self) -> InForce:
        if OVERRIDES.count:
            entry = forced_entry(self)
            if entry is not None and entry.forced is not None:
                # Tests only: built once per override (kept on its entry), not per request.
                held: InForce | None = entry.in_force
                if held is None:
                    held = entry.in_force = _in_force(entry.forced[0])
                return held
        if self._source is None:
            return self._current
        try:
            config = self._source.get()
        except Exception:
            logger.exception("the config source failed; keeping the last good config")
            return self._current
        current = self._current
        if current.config is not config:
            current = self._current = _in_force(_checked(config))
        return current

    def decide(self, request: Request) -> Decision:
        """Judge a request by its User-Agent values, count it, and log it when it is refused.

        A claim to be a crawler in `Config.verify` comes back `pending`: settle it with
        `settle` (blocking, for threads) or `asettle` (for an event loop) before answering.
        """
        # The static config without an override, inline: this is every request's path, and the
        # call saved shows in benchmarks/overhead.py (about 60 ns of a 1 µs hit path).
        current = self._current if self._source is None and not OVERRIDES.count else self._in_force()
        config = current.config
        values = request.user_agents
        # Counting is part of the lookup (one locked section): a request is counted as passed,
        # blocked or monitored from its verdict and `config.monitor`, exactly as decided below.
        if len(values) == 1:
            explanation = cached_explanation(config, current.cache, values[0], current.counts)
        elif not values:
            explanation = judge(config, None)
            count_request(explanation.verdict, config.monitor)
        elif config.duplicate_ua == "reject":
            return _reject_duplicate(current, request)
        else:
            explanation = cached_explanation(config, current.cache, values[0], current.counts)
        verdict = explanation.verdict
        decision = current.passing[verdict]
        if decision is not None:
            # `browser` is set only under `check_headers`: without it, this is the whole cost.
            if explanation.browser is None:
                return decision
            forged = _forged(config, explanation.browser, request)
            if forged is None:
                return decision
            # Counted by the lookup under the verdict of its User-Agent (NONE).
            recount_request(verdict, Verdict.FORGED, config.monitor)
            explanation, verdict = forged, Verdict.FORGED
        responses = current.responses
        if explanation.crawler is not None:
            # Counted (and logged) once settled. The config's answer, no on_block call yet: an
            # adapter that does not settle claims refuses them.
            return Decision(verdict, explanation, None if config.monitor else responses[verdict, request.grpc], config, pending=True)
        user_agent = values[0] if values else None
        if config.monitor:
            log_block("would block", verdict, explanation, request.path, user_agent)
            return current.monitored[verdict]
        log_block("blocked", verdict, explanation, request.path, user_agent)
        return Decision(verdict, explanation, _block_response(config, request, verdict, responses), config)

    def settle(self, decision: Decision, request: Request) -> Decision:
        """A pending decision settled by the client's address, blocking at most `verify_timeout`.

        For threads (WSGI, Django's sync path). Under an event loop use `asettle`.
        """
        config, crawler, ip = _claim_of(decision, request)
        assert config._verification is not None
        outcome = config._verification.verify_sync(ip, crawler)
        return self._settled(config, crawler, request, ip, outcome)

    async def asettle(self, decision: Decision, request: Request) -> Decision:
        """A pending decision settled by the client's address, the DNS awaited off the event loop."""
        config, crawler, ip = _claim_of(decision, request)
        assert config._verification is not None
        outcome = await config._verification.verify_async(ip, crawler)
        return self._settled(config, crawler, request, ip, outcome)

    def _settled(self, config: Config, crawler: str, request: Request, ip: str | None, outcome: Outcome) -> Decision:
        spoofed, verified = config._claim_answers[crawler]
        if outcome.verified:
            # The lookup counted this request by its cached verdict (SPOOFED): it passed as ALLOW.
            recount_request(Verdict.SPOOFED, Verdict.ALLOW, config.monitor)
            return Decision(Verdict.ALLOW, verified, None, config)
        what = "would block" if config.monitor else "blocked"
        # The ops log line, with who was claimed from where and why DNS said no (escaped: a
        # reverse name is the client's to choose).
        detail = safe_text(f"{what} {crawler} claim from {ip or 'an unknown address'} ({outcome.reason})", 300)
        user_agent = request.user_agents[0] if request.user_agents else b""
        log_block(detail, Verdict.SPOOFED, spoofed, request.path, user_agent)
        if config.monitor:
            return Decision(Verdict.SPOOFED, spoofed, None, config)
        current = self._current
        # The prebuilt answers of the config that decided (rebuilt only if it was swapped meanwhile).
        responses = current.responses if current.config is config else _in_force(config).responses
        response = _block_response(config, request, Verdict.SPOOFED, responses)
        if outcome.busy:
            response = _retry_later(response, config)
        return Decision(Verdict.SPOOFED, spoofed, response, config)


def _forged(config: Config, claim: BrowserClaim, request: Request) -> Explanation | None:
    """FORGED, when the request's other headers contradict the browser its User-Agent claims."""
    headers = request.header_map()
    scheme = request.scheme
    if scheme in _SECURE_SCHEMES and not config._trusted_proxies:
        security = HTTPS  # the common case, without reading Host
    else:
        security = _security(scheme, headers, request.peer, config)
    reason = forged_reason(claim, headers, security, scheme in WEBSOCKET_SCHEMES)
    return None if reason is None else Explanation(Verdict.FORGED, "headers", None, browser=claim, reason=reason)


_SECURE_SCHEMES: Final = ("https", "wss")


def _security(scheme: str, headers: Mapping[bytes, bytes], peer: str | None, config: Config) -> int:
    """How secure the browser saw the origin (`origin_security`), believing only a trusted proxy."""
    trusted = False
    if config._trusted_proxies and peer is not None:
        ip = parse_ip(peer)
        trusted = ip is not None and any(ip in network for network in config._trusted_proxies)
    proto = host = None
    if trusted:
        # The proxy's word for what the browser used: `Forwarded` where it carries the client's
        # address (`_proxy_header`), else (and where it says nothing) X-Forwarded-*.
        rfc_7239 = _proxy_header(config, b"x-forwarded-for" in headers) == b"forwarded"
        forwarded = headers.get(b"forwarded") if rfc_7239 else None
        if forwarded is not None:
            proto, host = forwarded_proto_host(forwarded.decode("latin-1"))
        proto = proto or _text(headers.get(b"x-forwarded-proto"))
        host = host or _text(headers.get(b"x-forwarded-host"))
    return origin_security(scheme, _text(headers.get(b"host")), peer, proto, host, trusted)


def _proxy_header(config: Config, has_x_forwarded_for: bool) -> bytes:
    """The header in which a trusted proxy gives the client's address (and what it used):
    `forwarded_header`, or by default RFC 7239's `Forwarded` where the proxy sent no
    `X-Forwarded-For`. A proxy that writes `X-Forwarded-For` writes it on every request, so a
    `Forwarded` a client adds beside it is never read (`forwarded_header="forwarded"` reads
    `Forwarded` alone)."""
    if config._proxy_header == b"forwarded" or not has_x_forwarded_for:
        return b"forwarded"
    return b"x-forwarded-for"


def _text(value: bytes | None) -> str | None:
    return None if value is None else value.decode("latin-1")


def _claim_of(decision: Decision, request: Request) -> tuple[Config, str, str | None]:
    """The config, the claimed crawler and the client's address of a pending decision."""
    explanation = decision.explanation
    if not decision.pending or explanation is None or explanation.crawler is None:
        raise ValueError("only a pending decision (a crawler claim) can be settled")
    config = decision.config
    trusted = config._trusted_proxies
    # The proxy header is read only behind a trusted proxy: `client_ip` ignores it otherwise.
    forwarded: list[str] = []
    header = config._proxy_header
    if trusted:
        header = _proxy_header(config, request.header("x-forwarded-for") is not None)
        forwarded = [v.decode("latin-1") for v in request.header_values(header.decode())]
    ip = client_ip(request.peer, forwarded, trusted, header == b"forwarded")
    if request.peer_port == 0:
        # A socket's peer never has port 0: the server wrote this address, most likely from a
        # proxy header (uvicorn does for an entry without a port). Only then is the header read.
        warn_if_server_forwarded(request.peer, 0, request.header_values("x-forwarded-for"))
    return config, explanation.crawler, ip


def _retry_later(response: BlockResponse, config: Config) -> BlockResponse:
    """The refusal of a claim botguard could not check now, telling the client when to come back."""
    if any(name == b"retry-after" for name, _ in response.headers):
        return response
    # By then the lookup this claim started has answered (and is cached) or given up.
    seconds = config.retry_after if config.retry_after is not None else max(1, math.ceil(config.verify_timeout))
    return BlockResponse(response.status, (*response.headers, (b"retry-after", str(seconds).encode())), response.body, response.trailers)


def _reject_duplicate(current: InForce, request: Request) -> Decision:
    config = current.config
    values = request.user_agents
    count_request(None, config.monitor)
    if config.monitor:
        # Monitor mode never refuses: judge the first header, as `duplicate_ua="first"` would
        # (looked up uncounted: this request is counted once, as a rejected one).
        log_block("would reject", None, None, request.path, _joined(values))
        explanation = cached_explanation(config, current.cache, values[0])
        return Decision(explanation.verdict, explanation, None, config)
    log_block("rejected", None, None, request.path, _joined(values))
    return Decision(None, None, current.responses[None, request.grpc], config)


def _joined(values: tuple[bytes, ...]) -> bytes:
    # One log field for all the headers, so the line shows what was sent, not only the first.
    return b" | ".join(values)


def _checked(config: Any) -> Config:
    if not isinstance(config, Config):
        raise ConfigError(f"config source returned {type(config).__name__}, not a Config")
    return config


def _block_response(
    config: Config, request: Request, verdict: Verdict, responses: Mapping[tuple[Verdict | None, bool], BlockResponse]
) -> BlockResponse:
    if config.on_block is not None:
        try:
            response = hook_response(*config.on_block(request.native, verdict))
        except Exception:
            # The hook is the user's code: its failure must not turn a block into a 500.
            logger.exception("on_block failed; sending the configured block response")
        else:
            return with_header(response, _verdict_header(config, verdict))
    return responses[verdict, request.grpc]
