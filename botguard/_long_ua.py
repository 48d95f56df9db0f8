"""What an over-long User-Agent names past the characters the rules read.

The rules read the first `MAX_UA_CHARS` characters, so that a hostile 512 KiB header costs no
more than a normal one. Padding must not hide a name behind that point, though: a bot that sends
`Mozilla/5.0 (X11; Linux x86_64)`, a thousand `A`s, then `python-requests/2.31` is still
`python-requests`. So the rest of the value is scanned in one pass of an Aho-Corasick automaton
for the literals the built-in list's rules need; a plain name (most of the default list, such as
`python-requests`) is a match where it is found, a regex rule is tried on the few characters
around its literal, and the list's exclusions (phone models, in-app browsers) still apply. Rules
anchored to the start of the value judge the first characters only. (Claims to be a verified
crawler are searched in the whole value by the caller, with the crawler's own patterns.)
"""

from __future__ import annotations

import functools
import threading
from typing import TYPE_CHECKING, Any

import ahocorasick
import regex

from ._regex_analysis import fold_in_place, literal_forms
from ._rulesets import Rule, RuleSet, rule_starts_anchored
from ._verdict import Verdict

if TYPE_CHECKING:
    from ._config import Config, Explanation
    from ._patterns import SearchBudget

__all__ = ["CONTEXT", "MANY_NAMES", "MAX_NAMES", "RuleNames", "explain_rest", "rule_names", "search_around"]

# Characters either side of a name read to judge it: a regex rule's match around its literal,
# or an exclusion (a phone model, an in-app browser) that covers it. Longer than any of those.
CONTEXT = 64
# Places past the cut examined before giving up: a header padded with more listed words than
# this (each one excluded or not matching) is refused as such rather than scanned on.
MAX_NAMES = 64
# How a rule's literal is read: _ANYWHERE names the rule wherever it occurs, _SUFFIX only at the
# end of the text, _REGEX only lets the rule's regex run.
_ANYWHERE, _SUFFIX, _REGEX = range(3)
MANY_NAMES = Rule(pattern=f"<over {MAX_NAMES} listed words past the first characters>", index=0, source="long_ua")


class RuleNames:
    """The rules of a rule set that need a literal, ready to be found anywhere in a long text."""

    __slots__ = ("_rules", "_automaton", "_case_sensitive", "_compiled", "_exclusions", "_lock")

    def __init__(
        self,
        rules: tuple[Rule, ...],
        *,
        case_sensitive: frozenset[int],
        skip: frozenset[int],
        exclusions: tuple[str, ...],
    ) -> None:
        self._rules = rules
        self._case_sensitive = case_sensitive
        self._compiled: dict[int, Any] = {}
        self._lock = threading.Lock()
        entries: dict[str, list[tuple[int, int]]] = {}
        for rule in rules:
            if rule.index in skip:
                continue
            form = literal_forms(rule.pattern)
            if form.kind == "any":
                code = _ANYWHERE
            elif form.kind == "suffix":
                code = _SUFFIX
            elif form.kind == "regex" and not rule_starts_anchored(rule.pattern):
                code = _REGEX
            else:
                continue  # anchored to the start: only the first characters can match it
            for literal in form.literals:
                if literal.isascii():
                    entries.setdefault(literal, []).append((rule.index, code))
        self._automaton: Any = None
        if entries:
            automaton = ahocorasick.Automaton()
            for literal, found in entries.items():
                automaton.add_word(literal, (len(literal), tuple(found)))
            automaton.make_automaton()
            self._automaton = automaton
        self._exclusions = (
            regex.compile("|".join(f"(?:{p})" for p in exclusions), regex.IGNORECASE) if exclusions else None
        )

    def first(self, text: str, start: int, admitted: frozenset[str]) -> Rule | None:
        """The first rule found in `text` through a literal ending at or after `start`, or None.

        By position, not by rule order. `MANY_NAMES` when more than `MAX_NAMES` places had to
        be examined.

        Arguments:
            text: the whole User-Agent, stripped.
            start: the offset where the part the rules did not read begins.
            admitted: categories that are not a claim (`Config.allow_categories`).
        """
        if self._automaton is None or len(text) <= start:
            return None
        # One character for one: positions in the folded text are positions in `text`.
        low = fold_in_place(text)
        examined = 0
        # A name may straddle `start`; one wholly before it was the rules' to judge.
        for end, (length, found) in self._automaton.iter(low, max(0, start - CONTEXT)):
            if end < start:
                continue
            begin = end - length + 1
            for index, code in found:
                rule: Rule = self._rules[index]
                if rule.category in admitted:
                    continue
                examined += 1
                if examined > MAX_NAMES:
                    return MANY_NAMES
                if self._matches(text, index, code, begin, end + 1) and not self._excluded(text, begin, end + 1):
                    return rule
        return None

    def _matches(self, text: str, index: int, code: int, begin: int, end: int) -> bool:
        """Whether rule `index` matches `text` around its literal at [begin, end)."""
        if code == _SUFFIX and end != len(text):
            return False
        if code != _REGEX and index not in self._case_sensitive:
            return True  # the literal is the match
        if code != _REGEX:
            return self._pattern(index).fullmatch(text, begin, end) is not None
        return search_around(self._pattern(index), text, begin, end) is not None

    def _excluded(self, text: str, begin: int, end: int) -> bool:
        if self._exclusions is None:
            return False
        for found in self._exclusions.finditer(text, max(0, begin - CONTEXT), min(len(text), end + CONTEXT)):
            if found.start() <= begin and end <= found.end():
                return True
        return False

    def _pattern(self, index: int) -> Any:
        compiled = self._compiled.get(index)
        if compiled is None:
            flags = 0 if index in self._case_sensitive else regex.IGNORECASE
            with self._lock:
                compiled = self._compiled.setdefault(index, regex.compile(self._rules[index].pattern, flags))
        return compiled


def search_around(compiled: Any, text: str, begin: int, end: int, timeout: float | None = None) -> Any:
    """A match of `compiled` within `CONTEXT` characters of [begin, end) in `text`, or None.

    Lookbehinds and word boundaries see the characters before the window (the search starts at
    an offset, it does not cut the text); a match that reaches the window's end is not one, as
    it may only match because the text was cut there. Raises TimeoutError past `timeout`.
    """
    stop = min(len(text), end + CONTEXT)
    match = compiled.search(text, max(0, begin - CONTEXT), stop, timeout=timeout)
    return match if match is not None and (match.end() < stop or stop == len(text)) else None


@functools.cache
def _names(name: str, ruleset: RuleSet) -> RuleNames:
    if name != "default":
        # Kong's list: its regexes as Kong matches them (case-sensitive, no exclusions).
        rules = ruleset.rules
        return RuleNames(rules, case_sensitive=frozenset(r.index for r in rules), skip=frozenset(), exclusions=())
    from .rules import botguard as own

    rules = ruleset.rules
    return RuleNames(
        rules,
        # As the default engine reads them: crawler-user-agents is case-sensitive ("Sonic" is a
        # bot, "Panasonic" a phone), and isbot's weak words count only outside a browser's.
        case_sensitive=frozenset(r.index for r in rules if r.source == "crawler-user-agents"),
        skip=frozenset(r.index for r in rules if r.source == "isbot" and r.pattern in own.WEAK_ISBOT),
        exclusions=tuple(own.EXCLUSIONS),
    )


_build_lock = threading.Lock()


def rule_names(ruleset: RuleSet) -> RuleNames:
    """The shared `RuleNames` of a built-in rule set (built on first use)."""
    with _build_lock:
        return _names(ruleset.name, ruleset)


def explain_rest(config: Config, text: str, start: int, found: Explanation, budget: SearchBudget | None) -> Explanation:
    """The decision for an over-long `text` whose first `start` characters were decided `found`.

    A crawler claim (under `Config.verify`) or a built-in name anywhere in it still counts:
    padding hides nothing. Claims override an allow rule, as in the first characters.
    """
    if found.verdict > Verdict.ALLOW or found.crawler is not None:
        return found
    if config._verification is not None:
        for entry in config._verification.claimed:
            rule, timed_out = entry.patterns.search_rest(text, start, budget)
            if rule is not None:
                return config._claim_answer(entry.crawler.name, found.timed_out or timed_out)
    if found.verdict is Verdict.NONE and config._names is not None:
        name = config._names.first(text, start, config._allowed)
        if name is not None:
            from ._config import Explanation

            return Explanation(Verdict.BOT, "policy" if name is MANY_NAMES else "builtin", name, found.timed_out)
    return found
