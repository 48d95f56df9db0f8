"""Built-in rule sets: named, immutable lists of bot patterns, compiled once per process.

A rule set is data behind one small interface, `RuleSet.search(text) -> Rule | None`: the first
rule of the list (lowest index) whose pattern is found in `text`. Two engines sit behind it:

- Kong's fourteen regexes are searched one after another, as Kong does (`_kong_engine.py`).
- The default list (about 1,900 patterns) goes into one Aho-Corasick automaton over the
  lower-cased User-Agent, literals and regex prefilters alike (`_list_engine.py`), and the
  detector weighs what it finds (`_detector.py`).

Exclusions (tokens known to belong to people, such as in-app browsers and phone models that
contain "bot") are blanked out of the User-Agent before the rules see it, so a bot that names
itself elsewhere in the same string is still caught.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any, Final

from ._regex_analysis import literal_forms

if TYPE_CHECKING:
    from ._detector import Detector, Evidence
    from ._list_engine import LiteralEngine

__all__ = ["BUILTIN_NAMES", "CATEGORIES", "Rule", "RuleSet", "builtin_ruleset", "literal_forms", "top_level_branches"]

# The shared category vocabulary of built-in rules.
# "probe" is an attack probe written into the User-Agent (injection, traversal, a scanner's name).
CATEGORIES: Final = (
    "search", "seo", "ai", "library", "monitor", "preview", "scanner", "feed", "archive", "probe", "other",
)


@dataclass(frozen=True, slots=True)
class Rule:
    """One pattern of a list, where it came from, and what kind of bot it names."""

    pattern: str
    index: int
    source: str
    category: str | None = None


class RuleSet:
    """An ordered list of rules behind one engine; the first rule (lowest index) that matches wins."""

    __slots__ = ("name", "rules", "_search", "passes", "passed")

    def __init__(
        self,
        name: str,
        rules: tuple[Rule, ...],
        search: Callable[[str], Rule | None],
        passes: Callable[[bytes], re.Match[bytes] | None] | None = None,
    ) -> None:
        """`passes`, when given, matches some raw header values whole, before they are decoded: a
        match without groups says "a person's, for certain" (`search` would find no rule: the
        default list's major browsers), and a match with groups says so when its key
        (`_cache.phone_key`) is in `passed`, which the verdict cache fills with the keys of the
        phones' strings it found a person's (shared by every config of this rule set). The
        verdict cache asks it when no rule of the user's could speak (`Detector.formats_raw`)."""
        self.name = name
        self.rules = rules
        self._search = search
        self.passes = passes
        self.passed: set[tuple[bytes, bytes, bool]] = set()

    def __len__(self) -> int:
        return len(self.rules)

    def __repr__(self) -> str:
        return f"<RuleSet {self.name!r}: {len(self.rules)} rules>"

    def search(self, text: str) -> Rule | None:
        """The first rule whose pattern is found in `text`, or None."""
        return self._search(text)

    def outweighed(self, text: str) -> tuple[Rule, str] | None:
        """A rule that `text` matches but that does not decide, and why: only a list that weighs
        its rules (the default's detector) has one; None otherwise."""
        weigh = getattr(self._search, "outweighed", None)
        return None if weigh is None else weigh(text)

    def evidence(self, text: str) -> Evidence | None:
        """What the list weighed in `text` (`Detector.evidence`): None for a first-match list."""
        weigh = getattr(self._search, "evidence", None)
        return None if weigh is None else weigh(text)


# -- pattern structure ---------------------------------------------------------------------------


def top_level_branches(pattern: str) -> list[str]:
    """The alternatives joined by `pattern`'s top-level `|`: `["a", "b(c|d)"]` for `a|b(c|d)`."""
    branches: list[str] = []
    begin, depth, escaped, in_class = 0, 0, False, False
    for position, char in enumerate(pattern):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            branches.append(pattern[begin:position])
            begin = position + 1
    branches.append(pattern[begin:])
    return branches


def rule_starts_anchored(pattern: str) -> bool:
    """True when every match of `pattern` starts at the beginning of the text (it opens with `^`
    and has no top-level alternation)."""
    return pattern.startswith("^") and len(top_level_branches(pattern)) == 1


def _kong() -> RuleSet:
    from ._kong_engine import kong_ruleset  # its own module, which imports this one

    return kong_ruleset()


def _load_json(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(resources.files("botguard.rules").joinpath(name).read_text("utf-8"))
    return data


def default_rules() -> tuple[Rule, ...]:
    """The default list in priority order: the scanner names and botguard's named rules (which
    decide alone), crawler-user-agents, isbot, botguard's generic rules, Crawler-Detect's patterns
    (which the detector weighs), then the attack-probe patterns (which decide alone, run apart
    behind their own gate)."""
    from .rules import botguard as own
    from .rules import probes

    rules: list[Rule] = []

    def add(pattern: str, source: str, category: str) -> None:
        rules.append(Rule(pattern=pattern, index=len(rules), source=source, category=category))

    add(probes.SCANNERS, own.SOURCE, "probe")
    for pattern, category in own.NAMED:
        add(pattern, own.SOURCE, category)
    cua = _load_json("crawler_user_agents.json")
    for entry in cua["patterns"]:
        if entry["pattern"] not in own.DROPPED:
            add(entry["pattern"], "crawler-user-agents", own.category_of_entry(entry["pattern"], entry["tags"]))
    isbot = _load_json("isbot.json")
    for pattern in isbot["patterns"]:
        if pattern not in own.DROPPED:
            add(pattern, "isbot", own.ISBOT_CATEGORIES.get(pattern, "other"))
    for pattern, category in own.GENERIC:
        add(pattern, own.SOURCE, category)
    # Last of the lists: the detector asks more of its matches (the model's `rule_margins`).
    for pattern in _load_json("crawlerdetect.json")["patterns"]:
        if pattern not in own.DROPPED:
            add(pattern, "crawlerdetect", own.category_of_pattern(pattern))
    for pattern in probes.PROBES:
        add(pattern, own.SOURCE, "probe")
    return tuple(rules)


def certain_rules() -> int:
    """How many rules at the head of `default_rules()` decide alone (scanner names, named rules)."""
    from .rules import botguard as own

    return 1 + len(own.NAMED)


_PLAIN_CLASS = re.compile(r"\[((?:[^\\\]\[^-]|\\[^0-9A-Za-z])+)\]")


def class_characters(pattern: str) -> tuple[str, ...]:
    """The characters a class of plain characters matches: `('$', '<', '>')` for `[$<>]`. ValueError for
    any other regex (a range, a negation, `\\d`): the engine looks for literals, one per character."""
    found = _PLAIN_CLASS.fullmatch(pattern)
    if found is None:
        raise ValueError(f"{pattern!r} is not a class of plain characters")
    return tuple(dict.fromkeys(re.sub(r"\\(.)", r"\1", found.group(1), flags=re.S)))


def list_engine(rules: Sequence[Rule], gate: Sequence[str] = ()) -> LiteralEngine:
    """The first-match engine over the default list, without its probes, reporting `gate`'s literals."""
    from .rules import botguard as own

    listed = [r for r in rules if r.category != "probe" or r.index == 0]
    from ._list_engine import LiteralEngine  # its own module, which imports this one

    return LiteralEngine(
        listed,
        own.EXCLUSIONS,
        # crawler-user-agents writes its patterns for case-sensitive matching ("Sonic" is a bot,
        # "Panasonic" a phone); its own matcher is case-sensitive by default.
        case_sensitive=frozenset(r.index for r in listed if r.source == "crawler-user-agents"),
        weak=frozenset(r.index for r in listed if r.source == "isbot" and r.pattern in own.WEAK_ISBOT),
        browser=own.BROWSER,
        gate=gate,
    )


def default_detector(model: dict[str, Any] | None = None, rules: tuple[Rule, ...] | None = None) -> Detector:
    """The default detector over `rules` (default: `default_rules()`) with `model` (default: the shipped one)."""
    from ._detector import Detector, load_model
    from .rules import botguard as own
    from .rules import probes

    rules = default_rules() if rules is None else rules
    # The probes' gate is looked for by the list's automaton in its pass over the lower-cased text.
    gate = (*class_characters(probes.GATE), *probes.GATE_WORDS)
    return Detector(
        list_engine(rules, gate),
        certain_rules(),
        [r for r in rules if r.category == "probe" and r.index != 0],
        load_model(model),
        own.PERSON_WORDS,
        own.SELF_DECLARED,
        own.WORD_CATEGORIES,
        own.BROWSER_FORMATS,
        own.PHONE_FORMAT,
        own.PODCAST_APPS,
        own.MEDIA_STEMS,
        own.TEXT_BROWSERS,
    )


def _default() -> RuleSet:
    rules = default_rules()
    detector = default_detector(rules=rules)
    return RuleSet("default", rules, detector, passes=detector.formats_raw)


_FACTORIES: dict[str, Callable[[], RuleSet]] = {"kong": _kong, "default": _default}
BUILTIN_NAMES: tuple[str, ...] = tuple(sorted(_FACTORIES))


@functools.cache
def builtin_ruleset(name: str) -> RuleSet:
    """The shared, compiled rule set called `name` (built on first use, then reused by every config)."""
    return _FACTORIES[name]()
