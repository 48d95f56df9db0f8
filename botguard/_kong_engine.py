"""Kong's built-in rule set: its fourteen regexes, searched one after another as Kong does."""

from __future__ import annotations

from collections.abc import Sequence

import regex

from ._regex_analysis import literal_forms
from ._list_engine import holds_any
from ._rulesets import Rule, RuleSet

__all__ = ["kong_ruleset"]


class _SequentialEngine:
    """Search each regex in turn: Kong's own algorithm, kept for its fourteen rules.

    A rule whose regex needs one of a few literals (read off its parse tree, lower-cased) is
    skipped when none of them occurs in the lower-cased text: a necessary condition, so the
    first match is exactly Kong's. Kong's general matchers need "bot", "spider", "crawl", ...,
    and a browser names none of them.
    """

    __slots__ = ("_compiled",)

    def __init__(self, rules: Sequence[Rule], flags: int) -> None:
        self._compiled = tuple(
            (regex.compile(rule.pattern, flags), literal_forms(rule.pattern).literals, rule) for rule in rules
        )

    def __call__(self, text: str) -> Rule | None:
        low = text.lower()
        for compiled, needs, rule in self._compiled:
            if needs and not holds_any(low, needs):
                continue
            if compiled.search(text) is not None:
                return rule
        return None


def kong_ruleset() -> RuleSet:
    """Kong's list, in Kong's order, behind Kong's algorithm."""
    from .rules import kong

    rules = tuple(
        Rule(pattern=pattern, index=i, source=kong.SOURCE, category=category)
        for i, (pattern, category) in enumerate(kong.RULES)
    )
    return RuleSet("kong", rules, _SequentialEngine(rules, regex.ASCII))
