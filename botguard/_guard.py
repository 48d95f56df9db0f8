"""The framework-free half of every adapter: which config is in force, and what a request gets.

Adapters translate their protocol into a list of raw User-Agent values and a request object
(ASGI scope, WSGI environ), call `Guard.decide`, and either call the app or send the answer.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from ._cache import VerdictLRU, cached_explanation, default_config, verdict_cache
from ._config import DUPLICATE_RESPONSE, BlockResponse, Config, Explanation
from ._errors import ConfigError
from ._override import OVERRIDES, forced
from ._types import ConfigSource
from ._verdict import Verdict

__all__ = ["Guard", "Decision"]

logger = logging.getLogger("botguard")


class Decision:
    """What to do with one request: its verdict (None for a rejected duplicate) and the answer
    to send instead of calling the app (None to pass)."""

    __slots__ = ("verdict", "explanation", "response", "config")

    def __init__(
        self, explanation: Explanation | None, response: BlockResponse | None, config: Config
    ) -> None:
        self.explanation = explanation
        self.verdict: Verdict | None = None if explanation is None else explanation.verdict
        self.response = response
        self.config = config


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
        # The config in force and its cache, resolved once and swapped whole (one assignment,
        # so a thread never sees a config paired with another config's cache).
        self._current: tuple[Config, VerdictLRU] = (first, verdict_cache(first))

    def current(self) -> tuple[Config, VerdictLRU]:
        """The config in force and its verdict cache (a `botguard.testing` override comes first)."""
        if OVERRIDES.count:
            override: tuple[Config, VerdictLRU] | None = forced(self)
            if override is not None:
                return override
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
        if explanation.verdict < Verdict.DENY or config.monitor:
            return Decision(explanation, None, config)
        return Decision(explanation, _block_response(config, request, explanation.verdict), config)


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
