"""User-supplied pattern lists (`allow`, `deny`): validated at load time, bounded at match time."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import ahocorasick
import regex

from ._errors import ConfigError
from ._long_ua import CONTEXT, search_around
from ._backtracking import backtracking_risk
from ._regex_analysis import fold_in_place, prefilter_literals, prefilter_text
from ._rulesets import Rule

__all__ = ["PatternList", "SearchBudget", "backtracking_risk", "decode_user_agent", "normalize_user_agent", "MAX_UA_CHARS"]

logger = logging.getLogger("botguard")

# Match on at most this many characters: a hostile 64 KiB header costs no more than a normal one.
MAX_UA_CHARS = 1024
# UTF-8 needs at most 4 bytes a character, so this many bytes always hold MAX_UA_CHARS characters.
_MAX_UA_BYTES = 4 * MAX_UA_CHARS
_ASCII_WHITESPACE = " \t\n\v\f\r"
# A list shorter than this is searched pattern by pattern: a few searches cost less than the
# automaton's pass, above all over a long User-Agent's whole value (crawler claims).
PREFILTER_FROM = 8
# Tries for a search (or a decision's budget) that ran out of time without using the CPU.
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


def decode_user_agent(raw: str | bytes) -> str:
    """The whole header value as text, ASCII whitespace stripped: what `_judge.judge` decides.

    Decoded as `normalize_user_agent` decodes (UTF-8, or latin-1 when it is not valid UTF-8);
    the rules read its first `MAX_UA_CHARS` characters, the names scan reads all of it.
    """
    if isinstance(raw, bytes):
        head = raw.strip(_ASCII_WHITESPACE_BYTES)
        try:
            return head.decode("utf-8")
        except UnicodeDecodeError:
            return head.decode("latin-1")
    return raw.strip(_ASCII_WHITESPACE)


class SearchBudget:
    """The regex time one decision may still spend, shared by all its searches (allow, deny, claims).

    Counted in this thread's CPU time, which only work spends: a decision that waits for the GIL
    or for a core keeps its budget, and a decision whose budget ran out would run it out again,
    so its outcome is cached like any other.

    Arguments:
        seconds: the total; `math.inf` for none (each search still has its own timeout).
    """

    __slots__ = ("seconds", "cpu_started", "uncertain")

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.cpu_started = time.thread_time()
        # A search gave up without having worked for it (see `PatternList.search`): the outcome
        # may differ next time, so it is not cached.
        self.uncertain = False


class PatternList:
    """An ordered list of user regexes: the first that matches wins, each search bounded in time.

    Patterns are prefiltered as the built-in list is: the literals each one cannot match
    without go into one Aho-Corasick automaton, and a search runs only for the patterns whose
    literal the text holds (and for those without a known literal, which always run). The
    first match is the one a plain search of every pattern in order would find.

    Arguments:
        field: the config field, for messages ("deny").
        patterns: the regexes, in order.
        timeout: seconds one search may take.
        prefilter: True or False to choose; None (default) prefilters lists of `PREFILTER_FROM`
            patterns or more.
    """

    __slots__ = ("field", "rules", "timeout", "_compiled", "_automaton", "_always", "_needs", "_by_literal")

    def __init__(self, field: str, patterns: Iterable[str], timeout: float, *, prefilter: bool | None = None) -> None:
        self.field = field
        self.timeout = timeout
        compiled = []
        rules = []
        needs: dict[str, list[int]] = {}
        always: list[int] = []
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
                # A warning, not an error: the timeouts bound the cost either way.
                logger.warning(
                    "%s[%d] %r may backtrack catastrophically (%s); each search is cut off after %.3fs",
                    field, index, pattern, risk, timeout,
                )
            literals = prefilter_literals(pattern)
            if not literals:
                always.append(index)
            for literal in literals:
                needs.setdefault(literal, []).append(index)
        self.rules = tuple(rules)
        self._compiled = tuple(zip(compiled, self.rules))
        self._always = frozenset(always)
        self._needs = {literal: tuple(indices) for literal, indices in needs.items()}
        self._by_literal: Any = None
        self._automaton: Any = None
        if prefilter is None:
            prefilter = len(rules) >= PREFILTER_FROM
        if needs and prefilter:
            automaton = ahocorasick.Automaton()
            for literal, indices in needs.items():
                automaton.add_word(literal, tuple(indices))
            automaton.make_automaton()
            self._automaton = automaton

    def __bool__(self) -> bool:
        return bool(self._compiled)

    def _candidates(self, text: str) -> Sequence[tuple[Any, Rule]]:
        """The patterns that can match `text`, in list order."""
        if self._automaton is None:
            return self._compiled
        found = set(self._always)
        for _end, indices in self._automaton.iter(prefilter_text(text)):
            found.update(indices)
        compiled = self._compiled
        return [compiled[index] for index in sorted(found)]

    def search(self, text: str, budget: SearchBudget | None = None) -> tuple[Rule | None, bool]:
        """The first rule found in `text`, and whether a search ran out of time on the way.

        A search that runs out of time counts as no match, and so do the patterns left when the
        decision's `budget` is spent.
        """
        if budget is None:
            budget = SearchBudget(math.inf)
        timed_out = False
        for compiled, rule in self._candidates(text):
            outcome = self._bounded(rule, text, budget, lambda limit: compiled.search(text, timeout=limit))
            if outcome is None:
                return None, True
            found, ran_out = outcome
            timed_out = timed_out or ran_out
            if found is not None:
                return rule, timed_out
        return None, timed_out

    def search_rest(self, text: str, start: int, budget: SearchBudget | None = None) -> tuple[Rule | None, bool]:
        """The first rule found in a long `text` through a literal ending at or after `start`.

        One pass of an automaton over the text instead of a search of all of it: each pattern is
        tried only around its literals (within `CONTEXT` characters, see `search_around`), and
        the first found by position wins. A pattern without a literal is searched in the whole
        text. Returns the rule and whether a search timed out, as `search` does.
        """
        if budget is None:
            budget = SearchBudget(math.inf)
        timed_out = False
        for index in sorted(self._always):
            compiled, rule = self._compiled[index]
            outcome = self._bounded(rule, text, budget, lambda limit: compiled.search(text, timeout=limit))
            if outcome is None:
                return None, True
            timed_out = timed_out or outcome[1]
            if outcome[0] is not None:
                return rule, timed_out
        automaton = self._literal_automaton()
        if automaton is None:
            return None, timed_out
        for end, (length, indices) in automaton.iter(fold_in_place(text), max(0, start - CONTEXT)):
            if end < start:
                continue
            begin = end - length + 1
            for index in indices:
                compiled, rule = self._compiled[index]

                def around(limit: float, compiled: Any = compiled, begin: int = begin, end: int = end) -> Any:
                    return search_around(compiled, text, begin, end + 1, limit)

                outcome = self._bounded(rule, text, budget, around)
                if outcome is None:
                    return None, True
                timed_out = timed_out or outcome[1]
                if outcome[0] is not None:
                    return rule, timed_out
        return None, timed_out

    def _literal_automaton(self) -> Any:
        """Every pattern's literals in one automaton (built on first use: only long values need it)."""
        if self._by_literal is None:
            automaton = ahocorasick.Automaton()
            for literal, indices in self._needs.items():
                automaton.add_word(literal, (len(literal), indices))
            if self._needs:
                automaton.make_automaton()
            self._by_literal = automaton if self._needs else False
        return self._by_literal or None

    def _bounded(
        self, rule: Rule, text: str, budget: SearchBudget, search: Callable[[float], Any]
    ) -> tuple[Any, bool] | None:
        """`search(timeout)` within the budget: (match or None, whether it timed out), or None when
        the budget is spent."""
        started = time.thread_time()
        left = budget.seconds - (started - budget.cpu_started)
        if left <= 0:
            logger.warning(
                "the regex time of one decision (%.3fs) ran out on a %d-character User-Agent; "
                "%s[%d] %r and the patterns after it treated as no match",
                budget.seconds, len(text), self.field, rule.index, rule.pattern,
            )
            return None
        limit = min(self.timeout, left)
        for attempt in range(_ATTEMPTS):
            try:
                return search(limit), False
            except TimeoutError:
                # `regex` counts the whole process's CPU time (or the wall clock): a search that
                # used little of this thread's CPU lost its time to other threads, not to
                # backtracking. Try again; if it never gets to work, do not cache the outcome.
                if time.thread_time() - started < limit / 2:
                    if attempt + 1 < _ATTEMPTS:
                        started = time.thread_time()
                        continue
                    budget.uncertain = True
                logger.warning(
                    "%s[%d] %r gave up after %.3fs on a %d-character User-Agent; treated as no match",
                    self.field, rule.index, rule.pattern, limit, len(text),
                )
                break
        return None, True
