"""The framework-free half of every adapter: which config is in force, and what a request gets.

Adapters translate their protocol into a list of raw User-Agent values and a request object
(ASGI scope, WSGI environ), call `Guard.decide`, and either call the app or send the answer.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from ._cache import VerdictLRU, cached_explanation, default_config, verdict_cache
from ._config import DUPLICATE_RESPONSE, BlockResponse, Config, Explanation
from ._errors import ConfigError
from ._types import ConfigSource
from ._verdict import Verdict
from ._verify import Outcome

__all__ = ["Guard", "Decision", "PendingDecision"]

# What of a spoofed User-Agent reaches the log: enough to recognise it, never a whole header.
_LOGGED_UA_CHARS = 200

logger = logging.getLogger("botguard")


class Decision:
    """What to do with one request: its verdict (None for a rejected duplicate) and the answer
    to send instead of calling the app (None to pass)."""

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
        # The config in force and its cache, resolved once and swapped whole (one assignment,
        # so a thread never sees a config paired with another config's cache).
        self._current: tuple[Config, VerdictLRU] = (first, verdict_cache(first))

    def current(self) -> tuple[Config, VerdictLRU]:
        """The config in force and its verdict cache."""
        if self._source is None:
            return self._current
        try:
            config = self._source.get()
        except Exception:
            logger.exception("botguard: the config source failed; keeping the last good config")
            return self._current
        current = self._current
        if current[0] is not config:
            current = self._current = (_checked(config), verdict_cache(config))
        return current

    def decide(self, values: list[bytes], request: Any) -> Decision:
        """Judge a request by its raw User-Agent values (in arrival order)."""
        config, cache = self.current()
        if len(values) == 1:
            explanation = cached_explanation(config, cache, values[0])
        elif not values:
            explanation = config.explain_text(None)
        elif config.duplicate_ua == "reject":
            return Decision(None, DUPLICATE_RESPONSE, config)
        else:
            explanation = cached_explanation(config, cache, values[0])
        verdict = explanation.verdict
        if verdict < Verdict.DENY:
            return Decision(explanation, None, config)
        if verdict is Verdict.SPOOFED:
            # Prebuilt (no on_block call yet): an adapter that does not settle claims refuses them.
            return PendingDecision(explanation, None if config.monitor else config._block_response, config)
        if config.monitor:
            return Decision(explanation, None, config)
        return Decision(explanation, _block_response(config, request, verdict), config)

    def settle(self, decision: Decision, request: Any, ip: str | None, user_agent: bytes | str = b"") -> Decision:
        """A pending decision settled by the client's address, blocking at most `verify_timeout` (WSGI)."""
        config, crawler = _claim_of(decision)
        assert config._verification is not None
        return _settled(config, crawler, request, ip, config._verification.verify_sync(ip, crawler), user_agent)

    async def settle_async(
        self, decision: Decision, request: Any, ip: str | None, user_agent: bytes | str = b""
    ) -> Decision:
        """A pending decision settled by the client's address, DNS off the event loop (ASGI)."""
        config, crawler = _claim_of(decision)
        assert config._verification is not None
        outcome = await config._verification.verify_async(ip, crawler)
        return _settled(config, crawler, request, ip, outcome, user_agent)


def _claim_of(decision: Decision) -> tuple[Config, str]:
    explanation = decision.explanation
    if not decision.pending or explanation is None or explanation.crawler is None:
        raise ValueError("only a pending decision (a crawler claim) can be settled")
    return decision.config, explanation.crawler


def _settled(config: Config, crawler: str, request: Any, ip: str | None, outcome: Outcome, user_agent: bytes | str) -> Decision:
    spoofed, verified = config._claim_answers[crawler]
    if outcome.verified:
        logger.debug("botguard: verified %s from %s (%s)", crawler, ip, outcome.reason)
        return Decision(verified, None, config)
    if isinstance(user_agent, bytes):
        user_agent = user_agent[: 4 * _LOGGED_UA_CHARS].decode("latin-1")
    # %r escapes control characters and quotes: a header cannot forge log lines.
    logger.info(
        "botguard: SPOOFED %s claim from %s%s: %s; user-agent %r",
        crawler, ip or "an unknown address", " (monitor: passed)" if config.monitor else "",
        outcome.reason, user_agent[:_LOGGED_UA_CHARS],
    )
    if config.monitor:
        return Decision(spoofed, None, config)
    return Decision(spoofed, _block_response(config, request, Verdict.SPOOFED), config)


def _checked(config: Any) -> Config:
    if not isinstance(config, Config):
        raise ConfigError(f"config source returned {type(config).__name__}, not a Config")
    return config


def _block_response(config: Config, request: Any, verdict: Verdict) -> BlockResponse:
    if config.on_block is None:
        return config._block_response
    try:
        status, headers, body = config.on_block(request, verdict)
        if isinstance(body, str):
            body = body.encode()
        raw_headers = tuple((str(k).lower().encode("latin-1"), str(v).encode("latin-1")) for k, v in headers)
        if not any(k == b"content-length" for k, _ in raw_headers):
            raw_headers += ((b"content-length", str(len(body)).encode()),)
        if not isinstance(status, int) or not 100 <= status <= 599:
            raise ValueError(f"status {status!r} is not an HTTP status")
        return BlockResponse(status, raw_headers, bytes(body))
    except Exception:
        # The hook is the user's code: its failure must not turn a block into a 500.
        logger.exception("botguard: on_block failed; sending the configured block response")
        return config._block_response
