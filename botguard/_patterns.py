"""User-supplied pattern lists (`allow`, `deny`): validated at load time, bounded at match time."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable

import regex

from ._errors import ConfigError
from ._rulesets import Rule

__all__ = ["PatternList", "normalize_user_agent", "MAX_UA_CHARS"]

logger = logging.getLogger("botguard")

# Match on at most this many characters: a hostile 64 KiB header costs no more than a normal one.
MAX_UA_CHARS = 1024
# UTF-8 needs at most 4 bytes a character, so this many bytes always hold MAX_UA_CHARS characters.
_MAX_UA_BYTES = 4 * MAX_UA_CHARS
_ASCII_WHITESPACE = " \t\n\v\f\r"
# Tries for one search that timed out without using the CPU (see `PatternList.search`).
_ATTEMPTS = 3
_ASCII_WHITESPACE_BYTES = _ASCII_WHITESPACE.encode()


def normalize_user_agent(raw: str | bytes) -> str:
    """The text the rules see: ASCII whitespace stripped, at most `MAX_UA_CHARS` characters.

    Bytes are read as UTF-8, or as latin-1 when they are not valid UTF-8, so any header decodes.
    """
    if isinstance(raw, bytes):
        head = raw.strip(_ASCII_WHITESPACE_BYTES)[:_MAX_UA_BYTES]
        try:
            text = head.decode("utf-8")
        except UnicodeDecodeError as exc:
            if exc.reason == "unexpected end of data" and len(head) == _MAX_UA_BYTES:
                # The cut fell inside a character: keep the whole characters before it.
                text = head[: exc.start].decode("utf-8", "replace")
            else:
                text = head.decode("latin-1")
    else:
        text = raw.strip(_ASCII_WHITESPACE)
    return text[:MAX_UA_CHARS].rstrip(_ASCII_WHITESPACE)


class PatternList:
    """An ordered list of user regexes, each search bounded by `timeout` seconds."""

    __slots__ = ("field", "rules", "timeout", "_compiled")

    def __init__(self, field: str, patterns: Iterable[str], timeout: float) -> None:
        self.field = field
        self.timeout = timeout
        compiled = []
        rules = []
        for index, pattern in enumerate(patterns):
            if not isinstance(pattern, str):
                raise ConfigError(
                    f"{field}[{index}]: a pattern must be a string, not {type(pattern).__name__}: {pattern!r}"
                )
            try:
                compiled.append(regex.compile(pattern))
            except (regex.error, ValueError, OverflowError) as exc:
                raise ConfigError(f"{field}[{index}]: not a valid regex: {pattern!r}: {exc}") from None
            rules.append(Rule(pattern=pattern, index=index, source=field))
        self.rules = tuple(rules)
        self._compiled = tuple(zip(compiled, self.rules))

    def __bool__(self) -> bool:
        return bool(self._compiled)

    def search(self, text: str) -> tuple[Rule | None, bool]:
        """The first rule found in `text`, and whether a search ran out of time on the way.

        A search that runs out of time counts as no match. The timeout is wall-clock time, so a
        busy process can run a harmless pattern out of time too: callers must not cache a
        decision that a timeout touched.
        """
        timed_out = False
        for compiled, rule in self._compiled:
            found = None
            for attempt in range(_ATTEMPTS):
                started = time.thread_time()
                try:
                    found = compiled.search(text, timeout=self.timeout)
                except TimeoutError:
                    # The timeout counts wall-clock time. A search that used little CPU was
                    # waiting for the GIL under a threaded server, not backtracking: try again.
                    if time.thread_time() - started < self.timeout / 2 and attempt + 1 < _ATTEMPTS:
                        continue
                    timed_out = True
                    logger.warning(
                        "botguard: %s[%d] %r gave up after %.3fs on a %d-character User-Agent; treated as no match",
                        self.field, rule.index, rule.pattern, self.timeout, len(text),
                    )
                break
            if found is not None:
                return rule, timed_out
        return None, timed_out
