"""The default list's engine: one Aho-Corasick pass over the lower-cased User-Agent.

Most of the default list's patterns are literals, or finite sets of literals such as `[wW]get`
or `(sistrix|SISTRIX) [cC]rawler`; they go into one automaton (`$` anchors checked from the
match position, `^` ones by `startswith`). Every real regex gets a literal it cannot match
without, found by reading its parse tree, and runs only when the automaton saw that literal. A
browser User-Agent, which matches nothing, costs little more than one pass of the automaton. The
same pass reports the attack probes' gate (`search_gated`), so the detector knows whether to try
its probes without a second scan.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from typing import Any, Final

import ahocorasick
import regex

from ._regex_analysis import literal_forms
from ._rulesets import Rule, rule_starts_anchored

__all__ = ["holds_any", "LiteralEngine"]

# A regex whose best required literal is shorter than this runs on every text instead: a one-letter
# prefilter ("/", ";") would hit every User-Agent several times over. Two letters ("::") are rare
# enough, and cost the automaton nothing where a search for them costs every text.
_MIN_PREFILTER = 2
# Entry codes stored in the automaton, one tuple per literal: (code, rule index, literal length).
# _ANYWHERE: the literal decides wherever it occurs in the text; _SUFFIX/_EXACT: only at the end
# or as the whole text; _REGEX: the literal lets the rule's regex run; _EXCLUDE: an exclusion's
# literal; _GATE: a literal only reported (`search_gated`), never a rule's. (A literal that decides
# only at the start is not in the automaton.)
_ANYWHERE, _SUFFIX, _EXACT, _REGEX, _EXCLUDE, _GATE = range(6)
_NO_RULE: Final = 1 << 30
_NOTHING: frozenset[int] = frozenset()
_PLAIN_END = re.compile(r"(?:(?:^|[^\\])([A-Za-z0-9;,:/ _-])|\\([().;/-]))\$$")


# `regex` reads a hyphen after a class shorthand in a set as itself; `re` refuses it.
_SHORTHAND_HYPHEN = re.compile(r"(?<!\\)(\\[dswDSW])-")


def _for_re(pattern: str) -> str:
    r"""`pattern` as `re` can compile it, where `regex` reads it the same: isbot's patterns are
    written for JavaScript, which reads `[\w\d-.]` as `regex` does. (Outside a set, `\-` is a
    hyphen too.)"""
    return _SHORTHAND_HYPHEN.sub(r"\1\\-", pattern)


def holds_any(text: str, literals: Sequence[str]) -> bool:
    for literal in literals:  # a plain loop: `any()` over a generator costs more than the search
        if literal in text:
            return True
    return False


class LiteralEngine:
    """Aho-Corasick over the lower-cased text for literals and regex prefilters; regexes compiled lazily."""

    __slots__ = (
        "_rules", "_automaton", "_always", "_patterns", "_compiled", "_exclusions", "_lock",
        "_case_sensitive", "_weak", "_browser", "_always_start", "_anchored", "_starts", "_start_keys", "_start_every",
        "_weak_starts",
    )

    def __init__(
        self,
        rules: Sequence[Rule],
        exclusions: Sequence[str],
        *,
        case_sensitive: frozenset[int] = frozenset(),
        weak: frozenset[int] = frozenset(),
        browser: str | None = None,
        gate: Sequence[str] = (),
    ) -> None:
        """`gate`: literals that match no rule, whose presence `search_gated` reports."""
        self._rules = tuple(rules)
        self._case_sensitive = case_sensitive
        self._weak = weak
        self._browser = None if browser is None else regex.compile(browser)
        self._patterns: dict[int, str] = {}
        self._compiled: dict[int, Any] = {}
        self._lock = threading.Lock()
        entries: dict[str, list[tuple[int, int, int]]] = {}
        always: list[int] = []
        anchored: list[int] = []
        short: dict[int, tuple[str, ...]] = {}
        starts: dict[str, list[int]] = {}
        codes = {"any": _ANYWHERE, "suffix": _SUFFIX, "exact": _EXACT}
        for rule in self._rules:
            form = literal_forms(rule.pattern)
            if form.kind == "regex" or rule.index in case_sensitive:
                self._patterns[rule.index] = rule.pattern
                if rule.index not in case_sensitive and rule_starts_anchored(rule.pattern):
                    anchored.append(rule.index)
                    continue
                if not form.literals or min(map(len, form.literals)) < _MIN_PREFILTER:
                    always.append(rule.index)
                    if form.literals:
                        short[rule.index] = form.literals
                    continue
                for literal in form.literals:
                    entries.setdefault(literal, []).append((_REGEX, rule.index, len(literal)))
            elif form.kind == "prefix":
                # Checked with `startswith`, not by the automaton: isbot's "^[<\(;]" alone would
                # report every "(" and ";" of a browser User-Agent.
                for literal in form.literals:
                    starts.setdefault(literal, []).append(rule.index)
            else:
                for literal in form.literals:
                    entries.setdefault(literal, []).append((codes[form.kind], rule.index, len(literal)))
        excluded: list[str] = []
        for pattern in exclusions:
            form = literal_forms(pattern)
            if not form.literals:
                raise ValueError(f"exclusion {pattern!r} needs a literal the engine can look for")
            excluded.append(pattern)
            for literal in form.literals:
                entries.setdefault(literal, []).append((_EXCLUDE, -1, len(literal)))
        for literal in gate:
            if not literal:
                raise ValueError("a gate literal cannot be empty")
            entries.setdefault(literal, []).append((_GATE, -1, len(literal)))
        self._exclusions = regex.compile("|".join(f"(?:{p})" for p in excluded), regex.IGNORECASE) if excluded else None
        automaton = ahocorasick.Automaton()
        # In sorted order: a node keeps its children in insertion order and searches them one by
        # one, and sorted puts the spaces, digits and punctuation that fill a User-Agent first.
        # Literals of the gate alone go last: a browser User-Agent rarely holds any.
        for literal, found in sorted(entries.items(), key=lambda item: (item[1][0][0] == _GATE, item[0])):
            automaton.add_word(literal, tuple(found))
        automaton.make_automaton()
        self._automaton = automaton
        self._starts = {literal: tuple(indices) for literal, indices in starts.items()}
        # The prefixes by their first character (an empty prefix under ""): one dictionary
        # lookup finds the few a text can start with, where `startswith` over all of them
        # (about a hundred) cost 0.4 µs a text.
        by_first: dict[str, list[str]] = {}
        for literal in starts:
            by_first.setdefault(literal[:1], []).append(literal)
        every = tuple(by_first.get("", ()))
        self._start_keys = {first: tuple(literals) + every for first, literals in by_first.items() if first}
        self._start_every = every
        # A weak rule counts as seen wherever its literal occurs, as the automaton reports it.
        self._weak_starts = tuple(literal for literal, indices in starts.items() if not weak.isdisjoint(indices))
        # Regexes that can only match at the start of the text are tried together first, as one
        # anchored alternation: on a browser User-Agent it fails within a few characters.
        # The stdlib `re` runs this one-position alternation about twice as fast as `regex`; a
        # pattern `re` cannot compile runs on its own instead.
        as_re: dict[int, str] = {}
        for index in list(anchored):
            as_re[index] = _for_re(self._rules[index].pattern)
            try:
                re.compile(as_re[index])
            except re.error:
                anchored.remove(index)
                always.append(index)
        self._anchored = tuple(anchored)
        self._always_start = (
            re.compile("|".join(f"(?:{as_re[i]})" for i in anchored), re.IGNORECASE) if anchored else None
        )
        # The rest run when one of their (short) literals is in the text, checked with `in`.
        # A regex ending in a plain character and `$` ("...;$") can only match a text ending so
        # (the tail; "" when there is none).
        tails = {index: _PLAIN_END.search(self._rules[index].pattern) for index in always}
        self._always = tuple(
            (index, short.get(index, ()), "" if tail is None else (tail.group(1) or tail.group(2)).lower())
            for index, tail in sorted(tails.items())
        )

    def _regex(self, index: int) -> Any:
        compiled = self._compiled.get(index)
        if compiled is None:
            # Compiled on first use: most regexes never meet a text holding their literal, and
            # compiling them all would triple the cold start.
            with self._lock:
                compiled = self._compiled.get(index)
                if compiled is None:
                    flags = 0 if index in self._case_sensitive else regex.IGNORECASE
                    compiled = self._compiled[index] = regex.compile(self._patterns[index], flags)
        return compiled

    def _scan(self, low: str, weak: frozenset[int]) -> tuple[int, list[int], bool, bool, bool]:
        """The best literal match, the regex candidates, and whether an exclusion, a weak rule (the
        literals of `_weak_starts` left aside: see `search_gated`) or a gate literal was seen."""
        best = _NO_RULE
        candidates: list[int] = []
        excluded = saw_weak = gated = False
        last = len(low) - 1
        for end, found in self._automaton.iter(low):
            for code, index, length in found:
                if code >= _EXCLUDE:  # one test for the two codes that name no rule
                    if code == _EXCLUDE:
                        excluded = True
                    else:
                        gated = True
                    continue
                if index in self._weak:
                    saw_weak = True
                    if index in weak:
                        continue
                if code == _ANYWHERE:
                    if index < best:
                        best = index
                elif code == _REGEX:
                    candidates.append(index)
                elif code == _SUFFIX:
                    if end == last and index < best:
                        best = index
                elif end == last and length == len(low) and index < best:
                    best = index
        keys = self._start_keys.get(low[:1], self._start_every)
        if keys and low.startswith(keys):
            for literal in keys:
                if low.startswith(literal):
                    for index in self._starts[literal]:
                        if index not in weak and index < best:
                            best = index
        for index, literals, tail in self._always:
            # The tail first: one `endswith` rules out most texts before any literal is looked for.
            if low.endswith(tail) and (not literals or holds_any(low, literals)):
                if index in self._weak:
                    saw_weak = True
                    if index in weak:
                        continue
                candidates.append(index)
        if self._always_start is not None and self._always_start.match(low) is not None:
            for index in self._anchored:
                if index in self._weak:
                    saw_weak = True
                    if index in weak:
                        continue
                candidates.append(index)
        return best, candidates, excluded, saw_weak, gated

    def _first(self, text: str, low: str, best: int, candidates: list[int]) -> int:
        for index in sorted(set(candidates)):
            if index >= best:
                break
            target = text if index in self._case_sensitive else low
            if self._regex(index).search(target) is not None:
                return index
        return best

    def __call__(self, text: str) -> Rule | None:
        """The first rule found in `text`, or None."""
        return self.search_gated(text)[0]

    def search_gated(self, text: str, low: str | None = None) -> tuple[Rule | None, bool]:
        """The first rule found in `text` (or None), and whether a gate literal occurs in the
        lower-cased text (`low`, made here when not given): one pass of the automaton answers both."""
        if low is None:
            low = text.lower()
        best, candidates, excluded, saw_weak, gated = self._scan(low, _NOTHING)
        if candidates:
            best = self._first(text, low, best, candidates)
        if best == _NO_RULE:
            # The common case, a browser that named nothing. Exclusions and the browser test only
            # take matches away, so a text that matches nothing needs neither.
            return None, gated
        if not (excluded or best in self._weak):
            # The best rule's own literal was seen: a weak best sets `saw_weak` by itself.
            return self._rules[best], gated
        saw_weak = saw_weak or any(literal in low for literal in self._weak_starts)
        # Weak rules (words that people's software also uses) do not count inside a well-formed
        # browser User-Agent; named bots and bot words still do.
        weak = self._weak if saw_weak and self._browser is not None and self._browser.match(low) else _NOTHING
        if excluded and self._exclusions is not None:
            # Only a text that matched something pays for the exclusions.
            text = self._exclusions.sub(" ", text)
            low = text.lower()
        best, candidates, _, _, _ = self._scan(low, weak)
        best = self._first(text, low, best, candidates)
        return None if best == _NO_RULE else self._rules[best], gated


# -- the named rule sets ------------------------------------------------------------------------
