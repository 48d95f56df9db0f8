"""Built-in rule sets: named, immutable lists of bot patterns, compiled once per process.

A rule set is data behind one small interface, `RuleSet.search(text) -> Rule | None`, so that a
faster engine or a larger list can replace one without touching the configs that name it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import regex

__all__ = ["BUILTIN_NAMES", "Rule", "RuleSet", "builtin_ruleset"]


@dataclass(frozen=True, slots=True)
class Rule:
    """One pattern of a list, and where it came from."""

    pattern: str
    index: int
    source: str
    category: str | None = None


class RuleSet:
    """An ordered list of regexes searched in order; the first that matches wins."""

    __slots__ = ("name", "rules", "_compiled")

    def __init__(self, name: str, rules: tuple[Rule, ...]) -> None:
        self.name = name
        self.rules = rules
        self._compiled = tuple((regex.compile(r.pattern), r) for r in rules)

    def search(self, text: str) -> Rule | None:
        """The first rule whose pattern is found in `text`, or None."""
        for compiled, rule in self._compiled:
            if compiled.search(text) is not None:
                return rule
        return None


def _kong() -> RuleSet:
    from .rules import kong

    rules = tuple(
        Rule(pattern=p, index=i, source=kong.SOURCE, category=None)
        for i, p in enumerate(kong.PATTERNS)
    )
    return RuleSet("kong", rules)


# "default" starts as Kong's list; the built-in rules issue replaces it with a larger engine.
_FACTORIES = {"kong": _kong, "default": _kong}
BUILTIN_NAMES: tuple[str, ...] = tuple(sorted(_FACTORIES))


@functools.cache
def builtin_ruleset(name: str) -> RuleSet:
    """The shared, compiled rule set called `name` (built on first use, then reused)."""
    return _FACTORIES[name]()
