"""User-supplied pattern lists (`allow`, `deny`): validated at load time, bounded at match time."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from typing import Any

import regex

from ._errors import ConfigError
from ._rulesets import Rule

try:  # The parser behind `re`: private, so the check is skipped where it is missing.
    from re import _constants as _sre  # type: ignore[attr-defined]
    from re import _parser as _sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover
    _sre = _sre_parse = None

__all__ = ["PatternList", "backtracking_risk", "normalize_user_agent", "MAX_UA_CHARS"]

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


_ANY = None  # "could start with any character"


def _first_chars(items: list[tuple[Any, Any]]) -> set[int] | None:
    """The characters a sequence can start with, or None for "any" (or too hard to tell)."""
    for op, av in items:
        if op is _sre.LITERAL:
            return {av}
        if op is _sre.IN:
            chars: set[int] = set()
            for item_op, item_av in av:
                if item_op is _sre.LITERAL:
                    chars.add(item_av)
                elif item_op is _sre.RANGE and item_av[1] - item_av[0] < 256:
                    chars.update(range(item_av[0], item_av[1] + 1))
                else:
                    return _ANY
            return chars
        if op is _sre.AT:
            continue
        if op is _sre.SUBPATTERN:
            return _first_chars(list(av[3]))
        return _ANY
    return _ANY


def _overlapping(branches: list[list[tuple[Any, Any]]]) -> bool:
    seen: set[int] = set()
    for branch in branches:
        chars = _first_chars(branch)
        if chars is None or chars & seen:
            return True
        seen |= chars
    return False


def _ambiguous(items: list[tuple[Any, Any]]) -> bool:
    """True when a repeated body can match one text in two ways: overlapping or empty branches."""
    for op, av in items:
        if op is _sre.SUBPATTERN and _ambiguous(list(av[3])):
            return True
        if op is _sre.BRANCH:
            branches = [list(b) for b in av[1]]
            if any(not b for b in branches) or _overlapping(branches):
                return True
        if op is _sre.IN:
            members = list(av)
            if len(members) != len(set(members)):  # `(a|a)` is parsed to the class [aa]
                return True
    return False


def _risk(items: list[tuple[Any, Any]], inside_repeat: bool) -> str | None:
    for op, av in items:
        if op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT, getattr(_sre, "POSSESSIVE_REPEAT", None)):
            _low, high, body_items = av
            body = list(body_items)
            unbounded = high is _sre.MAXREPEAT or high > 16
            if unbounded and inside_repeat:
                return "a repeated group holds another unbounded repeat, as in (a+)+"
            if unbounded and _ambiguous(body):
                return "a repeated alternation whose branches can match alike, as in (a|ab)*"
            found = _risk(body, inside_repeat or unbounded)
            if found:
                return found
        elif op is _sre.SUBPATTERN:
            found = _risk(list(av[3]), inside_repeat)
            if found:
                return found
        elif op is _sre.BRANCH:
            for branch in av[1]:
                found = _risk(list(branch), inside_repeat)
                if found:
                    return found
    return None


def backtracking_risk(pattern: str) -> str | None:
    """Why `pattern` may backtrack exponentially (nested or overlapping repeats), or None.

        backtracking_risk(r"(a+)+$")  # 'a repeated group holds another unbounded repeat, ...'

    A heuristic over the pattern's parse tree: it finds the textbook shapes, not every one.
    """
    if _sre_parse is None:  # pragma: no cover
        return None
    try:
        items = list(_sre_parse.parse(pattern))
    except Exception:  # noqa: BLE001 - syntax only the regex module knows: not checked
        return None
    return _risk(items, False)


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
            if (risk := backtracking_risk(pattern)) is not None:
                # A warning, not an error: the per-match timeout bounds the cost either way.
                logger.warning(
                    "%s[%d] %r may backtrack catastrophically (%s); each search is cut off after %.3fs",
                    field, index, pattern, risk, timeout,
                )
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
                        "%s[%d] %r gave up after %.3fs on a %d-character User-Agent; treated as no match",
                        self.field, rule.index, rule.pattern, self.timeout, len(text),
                    )
                break
            if found is not None:
                return rule, timed_out
        return None, timed_out
