"""What botguard reads off a regex's parse tree: the literals a match needs.

Everything here uses `re`'s own parser (`re._parser`), which is private: where it is missing or
does not know a pattern's syntax (the `regex` module knows more), the answers fall back to the
safe side ("no literal known"), so a caller runs the regex as it is.

- `literal_forms`: what the built-in list's engine matches as plain literals, and which literal
  a real regex cannot match without.
- `prefilter_literals`: the same question for user lists, answered only where it is sure to hold
  under the `regex` module's semantics (which `re` does not share in every corner).

The textbook shapes that make a backtracking engine blow up are read off the same parse tree in
`_backtracking.py`.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import regex

try:  # The parser behind `re`: private, so anything unexpected falls back to "run the regex".
    from re import _constants as _sre  # type: ignore[attr-defined]
    from re import _parser as _sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - Python versions without these modules
    _sre = _sre_parse = None

__all__ = ["LiteralForm", "SRE", "fold_in_place", "literal_forms", "parse_tree", "prefilter_literals", "prefilter_text"]

# The parser's opcodes, for the walkers of its trees (`_backtracking.py` too); None without it.
SRE: Any = _sre


def parse_tree(pattern: str) -> list[Any] | None:
    """`re`'s parse tree of `pattern`; None where the parser is missing or does not know its syntax
    (the `regex` module's own), which every caller reads as "not analysed": run the regex."""
    if _sre_parse is None:  # pragma: no cover
        return None
    try:
        return list(_sre_parse.parse(pattern))
    except Exception:  # noqa: BLE001 - any syntax `re` does not know
        return None

# A pattern expanding to more literals than this is left to the regex engine.
_MAX_EXPANSION = 64
# Largest character class expanded into literals (after lower-casing): `[cC]` is one, `[a-z]` 26.
_MAX_CLASS = 4
_LOOKAROUND = regex.compile(r"\(\?<?[=!](?:[^()\\]|\\.)*\)")


@dataclass(frozen=True, slots=True)
class LiteralForm:
    """What a pattern needs: `kind` is "any", "prefix", "suffix" or "exact" for a pattern that
    is exactly a set of lower-case literals, or "regex" for one whose `literals` are only required
    (any one of them must occur; none known means the regex always runs)."""

    kind: str
    literals: tuple[str, ...]


def _expand(items: Iterable[tuple[Any, Any]]) -> list[str] | None:
    """The lower-case strings a sequence of parse-tree nodes matches, or None if not a small finite set."""
    out = [""]
    for op, av in items:
        if op is _sre.LITERAL:
            alts = [chr(av).lower()]
        elif op is _sre.IN:
            chars: set[str] = set()
            for item_op, item_av in av:
                if item_op is _sre.LITERAL:
                    chars.add(chr(item_av).lower())
                elif item_op is _sre.RANGE and item_av[1] - item_av[0] < _MAX_CLASS:
                    chars.update(chr(c).lower() for c in range(item_av[0], item_av[1] + 1))
                else:
                    return None
            if len(chars) > _MAX_CLASS:
                return None
            alts = sorted(chars)
        elif op is _sre.SUBPATTERN:
            _group, add_flags, del_flags, sub = av
            if add_flags or del_flags:
                return None
            found = _expand(sub)
            if found is None:
                return None
            alts = found
        elif op is _sre.BRANCH:
            alts = []
            for branch in av[1]:
                found = _expand(branch)
                if found is None:
                    return None
                alts.extend(found)
        elif op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT) and av[0] == 0 and av[1] == 1:
            found = _expand(av[2])
            if found is None:
                return None
            alts = ["", *found]
        else:
            return None
        out = [head + tail for head in out for tail in alts]
        if len(out) > _MAX_EXPANSION:
            return None
    return sorted(set(out))


def _required(items: list[tuple[Any, Any]]) -> tuple[str, ...] | None:
    """A set of literals one of which every match of `items` contains (the best found), or None."""
    if len(items) == 1 and items[0][0] is _sre.BRANCH:
        union: list[str] = []
        for branch in items[0][1][1]:
            found = _required(list(branch))
            if found is None:
                return None
            union.extend(found)
        return tuple(sorted(set(union)))
    best: tuple[str, ...] | None = None
    run: list[tuple[Any, Any]] = []

    def consider(candidate: list[str] | None) -> None:
        nonlocal best
        if not candidate or "" in candidate:
            return
        # A literal containing another of the set adds nothing: the shorter one occurs whenever it does.
        candidate = [c for c in candidate if not any(o != c and o in c for o in candidate)]
        if best is None or (min(map(len, candidate)), -len(candidate)) > (min(map(len, best)), -len(best)):
            best = tuple(candidate)

    for item in [*items, (None, None)]:
        if item[0] is not None and _expand([item]) is not None:
            run.append(item)
            continue
        if run:
            consider(_expand(run))
            run = []
        op, av = item
        inner: tuple[str, ...] | None = None
        if op is _sre.SUBPATTERN and not (av[1] or av[2]):
            inner = _required(list(av[3]))
        elif op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT) and av[0] >= 1:
            inner = _required(list(av[2]))
        elif op is _sre.BRANCH:
            inner = _required([item])
        consider(None if inner is None else list(inner))
    return best


# A pattern that is one ASCII literal: characters that are not regex syntax, escaped punctuation,
# and at most a `^` before and a `$` after. Nine in ten of the built-in list's patterns are.
_PLAIN = regex.compile(r"(\^?)((?:[^\\.^$*+?{}\[\]|()\x80-\U0010ffff]|\\[^A-Za-z0-9\x80-\U0010ffff])+)(\$?)")
_ESCAPE = regex.compile(r"\\(.)")
_KINDS = {(False, False): "any", (True, False): "prefix", (False, True): "suffix", (True, True): "exact"}


def plain_form(pattern: str) -> LiteralForm | None:
    """The form of a pattern that is one ASCII literal (`_PLAIN`), read without parsing; None for
    any other. `literal_forms` gives the same answer the long way (a test holds it)."""
    found = _PLAIN.fullmatch(pattern)
    if found is None:
        return None
    begins, body, ends = found.groups()
    literal = _ESCAPE.sub(r"\1", body) if "\\" in body else body
    return LiteralForm(_KINDS[bool(begins), bool(ends)], (literal.lower(),))


# Remembered: the built-in list's engine and its long-value scan both read every rule's form.
@functools.lru_cache(maxsize=4096)
def literal_forms(pattern: str) -> LiteralForm:
    """How the engine can match `pattern` case-insensitively: as literals, or as a regex with a prefilter.

        literal_forms(r"[wW]get")       # LiteralForm(kind='any', literals=('wget',))
        literal_forms(r"^curl")         # LiteralForm(kind='prefix', literals=('curl',))
        literal_forms(r"(?<! cu)bots?")  # LiteralForm(kind='regex', literals=('bot',))
    """
    # Most patterns are plain literals: reading them off the text spares the parser (about 30 ms
    # of the default list's cold start).
    plain = plain_form(pattern)
    return plain if plain is not None else parsed_forms(pattern)


def parsed_forms(pattern: str) -> LiteralForm:
    """`literal_forms` read off `re`'s parse tree, for any pattern."""
    items = parse_tree(pattern)
    if items is not None:
        kind = "any"
        body = items
        begins = bool(body) and body[0] == (_sre.AT, _sre.AT_BEGINNING)
        ends = bool(body) and body[-1] == (_sre.AT, _sre.AT_END)
        body = body[1 if begins else 0 : len(body) - (1 if ends else 0)]
        kind = {(False, False): "any", (True, False): "prefix", (False, True): "suffix", (True, True): "exact"}[
            (begins, ends)
        ]
        found = _expand(body)
        if found and "" not in found:
            return LiteralForm(kind, tuple(found))
    # Lookarounds consume nothing: removing them only widens the language, so whatever the
    # widened pattern requires, the pattern requires too.
    relaxed = parse_tree(_LOOKAROUND.sub("", pattern))
    required = None if relaxed is None else _required(relaxed)
    return LiteralForm("regex", required or ())




# -- prefilters for user lists -------------------------------------------------------------------

# A brace that `re` reads as a plain character can be `regex` syntax (fuzzy matching such as
# `(?:bot){e<=1}`, `\p{L}`): `re` would then require characters that `regex` does not.
_LITERAL_BRACE = regex.compile(r"\{(?![0-9]*(?:,[0-9]*)?\})")
# A set inside a set, or set operations (`[[:alpha:]]`, `[a--b]`): `regex` can read these as
# POSIX classes or set arithmetic where `re` sees plain characters.
_SET_SYNTAX = regex.compile(r"\[(?:[^\]\\]|\\.)*?(?:\[|--|&&|~~|\|\|)")
# A literal shorter than this hits nearly every text: its pattern is simply always tried.
_MIN_PREFILTER = 3
# `regex` with IGNORECASE equates these with ASCII letters; `str.casefold` does not.
_FOLD = {0x130: "i", 0x131: "i"}


def prefilter_text(text: str) -> str:
    """`text` folded so that `prefilter_literals` can be looked for in it with plain `in`.

        prefilter_text("Python-Requests/2.31")  # 'python-requests/2.31'
    """
    # Any character `regex` matches to an ASCII letter, with or without IGNORECASE, folds to it.
    return text.lower() if text.isascii() else text.translate(_FOLD).casefold()


# The same folding, one character for one, so that a position in the folded text is a position
# in the text: what `regex` matches to an ASCII letter folds to it, anything else non-ASCII is "?".
_FOLD_IN_PLACE = {0x17F: "s", 0x212A: "k", 0x130: "i", 0x131: "i"}


def fold_in_place(text: str) -> str:
    """`prefilter_text(text)` with every character kept in its place (other non-ASCII ones become "?").

        fold_in_place("Googlebot/2.1 (ſ)")  # 'googlebot/2.1 (s)'
    """
    if text.isascii():
        return text.lower()
    return text.translate(_FOLD_IN_PLACE).encode("ascii", "replace").decode("ascii").lower()


def prefilter_literals(pattern: str) -> tuple[str, ...]:
    """Lower-case ASCII literals one of which `prefilter_text(text)` contains whenever `pattern` matches `text`.

        prefilter_literals(r"(?i)scrapy|python-requests")  # ('python-requests', 'scrapy')
        prefilter_literals(r"^\\w+$")                      # () - no literal: always tried

    Holds for the `regex` module, case-sensitive or not. () when no literal of at least three
    characters is known, or when the pattern uses syntax that `re` and `regex` read differently.
    """
    if _LITERAL_BRACE.search(pattern) or _SET_SYNTAX.search(pattern):
        return ()
    literals = literal_forms(pattern).literals
    if not literals or min(map(len, literals)) < _MIN_PREFILTER or not all(map(str.isascii, literals)):
        return ()
    return literals
