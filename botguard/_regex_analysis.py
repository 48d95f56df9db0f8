"""What botguard reads off a regex's parse tree: the literals a match needs, and the shapes that backtrack.

Everything here uses `re`'s own parser (`re._parser`), which is private: where it is missing or
does not know a pattern's syntax (the `regex` module knows more), the answers fall back to the
safe side ("no literal known", "no risk found"), so a caller runs the regex as it is.

- `literal_forms`: what the built-in list's engine matches as plain literals, and which literal
  a real regex cannot match without.
- `prefilter_literals`: the same question for user lists, answered only where it is sure to hold
  under the `regex` module's semantics (which `re` does not share in every corner).
- `backtracking_risk`: the textbook shapes that make a backtracking engine blow up.
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

__all__ = ["LiteralForm", "backtracking_risk", "fold_in_place", "literal_forms", "prefilter_literals", "prefilter_text"]

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


# Remembered: the built-in list's engine and its long-value scan both read every rule's form.
@functools.lru_cache(maxsize=4096)
def literal_forms(pattern: str) -> LiteralForm:
    """How the engine can match `pattern` case-insensitively: as literals, or as a regex with a prefilter.

        literal_forms(r"[wW]get")       # LiteralForm(kind='any', literals=('wget',))
        literal_forms(r"^curl")         # LiteralForm(kind='prefix', literals=('curl',))
        literal_forms(r"(?<! cu)bots?")  # LiteralForm(kind='regex', literals=('bot',))
    """
    if _sre_parse is None:  # pragma: no cover
        return LiteralForm("regex", ())
    try:
        items = list(_sre_parse.parse(pattern))
    except Exception:  # noqa: BLE001 - any syntax `re` does not know (the regex module may)
        items = None
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
    try:
        relaxed = list(_sre_parse.parse(_LOOKAROUND.sub("", pattern)))
    except Exception:  # noqa: BLE001
        return LiteralForm("regex", ())
    return LiteralForm("regex", _required(relaxed) or ())




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


# -- backtracking shapes -------------------------------------------------------------------------

# A set of characters, as a union of atoms: ("in", chars), ("not", chars) for the complement of
# chars, ("cat", category); None in place of the union means "any character" (or too hard to tell).
_Atom = tuple[str, Any]
_Chars = list[_Atom] | None
# Categories no character belongs to both of, and a test for each category.
_DISJOINT = {
    frozenset(("CATEGORY_" + a, "CATEGORY_" + b))
    for a, b in [("DIGIT", "SPACE"), ("DIGIT", "NOT_DIGIT"), ("SPACE", "NOT_SPACE"), ("WORD", "NOT_WORD"),
                 ("WORD", "SPACE"), ("DIGIT", "NOT_WORD")]
}
_CATEGORY_TESTS = {
    f"CATEGORY_{name}": regex.compile(code)
    for name, code in [("DIGIT", r"\d"), ("NOT_DIGIT", r"\D"), ("SPACE", r"\s"), ("NOT_SPACE", r"\S"),
                       ("WORD", r"\w"), ("NOT_WORD", r"\W")]
}


def _cased(code: int) -> set[int]:
    # Both cases: a pattern may be case-insensitive, and an overlap found in error only warns.
    char = chr(code)
    return {code, *(ord(c) for c in (char.lower(), char.upper()) if len(c) == 1)}


def _class_chars(members: list[tuple[Any, Any]]) -> _Chars:
    negate = bool(members) and members[0][0] is _sre.NEGATE
    chars: set[int] = set()
    atoms: list[_Atom] = []
    for op, av in members[1 if negate else 0 :]:
        if op is _sre.LITERAL:
            chars |= _cased(av)
        elif op is _sre.RANGE and av[1] - av[0] < 512:
            for code in range(av[0], av[1] + 1):
                chars |= _cased(code)
        elif op is _sre.CATEGORY and not negate and str(av) in _CATEGORY_TESTS:
            atoms.append(("cat", str(av)))
        else:
            return None
    if negate:
        return [("not", frozenset(chars))]
    return [("in", frozenset(chars)), *atoms]


def _atoms_overlap(a: _Atom, b: _Atom) -> bool:
    if a[0] == "not" and b[0] == "not":
        return True
    if a[0] == "cat" and b[0] == "cat":
        return frozenset((a[1], b[1])) not in _DISJOINT
    if a[0] == "in" or b[0] == "in":
        if b[0] == "in":
            a, b = b, a
        chars = a[1]
        if b[0] == "in":
            return bool(chars & b[1])
        if b[0] == "not":
            return bool(chars - b[1])
        test = _CATEGORY_TESTS[b[1]]
        return any(test.match(chr(c)) for c in chars)
    return True  # a complement against a category: both are large


def _overlap(a: _Chars, b: _Chars) -> bool:
    if a is None or b is None:
        return a != [] and b != []  # "any" meets every non-empty set
    return any(_atoms_overlap(x, y) for x in a for y in b)


def _item_first(op: Any, av: Any) -> tuple[_Chars, bool]:
    """The characters an item can start with, and whether it can match the empty string."""
    if op is _sre.LITERAL:
        return [("in", frozenset(_cased(av)))], False
    if op is _sre.NOT_LITERAL:
        return [("not", frozenset(_cased(av)))], False
    if op is _sre.IN:
        return _class_chars(list(av)), False
    if op is _sre.AT or op in (_sre.ASSERT, _sre.ASSERT_NOT):
        return [], True
    if op is _sre.SUBPATTERN:
        return _sequence_first(list(av[3]))
    if op is getattr(_sre, "ATOMIC_GROUP", None):
        return _sequence_first(list(av))
    if op is _sre.BRANCH:
        union: list[_Atom] = []
        empty = False
        for branch in av[1]:
            chars, nullable = _sequence_first(list(branch))
            if chars is None:
                return None, True
            union += chars
            empty = empty or nullable
        return union, empty
    if op in _REPEATS:
        chars, nullable = _sequence_first(list(av[2]))
        return chars, nullable or av[0] == 0
    return None, True  # ANY, back references, ...: anything


def _sequence_first(items: list[tuple[Any, Any]]) -> tuple[_Chars, bool]:
    union: list[_Atom] = []
    for op, av in items:
        chars, nullable = _item_first(op, av)
        if chars is None:
            return None, True
        union += chars
        if not nullable:
            return union, False
    return union, True


def _unbounded(op: Any, av: Any) -> bool:
    return op in _REPEATS and (av[1] is _sre.MAXREPEAT or av[1] > 16)


def _repeat_chars(av: Any) -> _Chars:
    """What an unbounded repeat consumes: the characters of its body (any, when not one item)."""
    body = list(av[2])
    if len(body) != 1:
        return None
    op, inner = body[0]
    if op is _sre.ANY:
        return None
    chars, _ = _item_first(op, inner)
    return chars


def _splits(body: list[tuple[Any, Any]], wraps: bool) -> bool:
    """True when an unbounded repeat in `body` can also consume what follows it (as `.*?,` can).

    With `wraps`, what follows the last item is the body again (the body is itself repeated).
    """
    for position, (op, av) in enumerate(body):
        if not _unbounded(op, av):
            continue
        following, nullable = _sequence_first(body[position + 1 :])
        if following is not None and nullable and wraps:
            again, _ = _sequence_first(body)
            following = None if again is None else following + again
        if _overlap(_repeat_chars(av), following):
            return True
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


def _overlapping(branches: list[list[tuple[Any, Any]]]) -> bool:
    seen: list[_Atom] = []
    for branch in branches:
        chars, nullable = _sequence_first(branch)
        if chars is None or nullable or _overlap(chars, seen):
            return True
        seen += chars
    return False


def _flattened(body: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    # `(.*?,){11}` repeats a group: what matters is the sequence inside it.
    if len(body) == 1 and body[0][0] is _sre.SUBPATTERN:
        return _flattened(list(body[0][1][3]))
    return body


def _risk(items: list[tuple[Any, Any]], inside_repeat: bool) -> str | None:
    for op, av in items:
        if op in _REPEATS:
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
            if (high is _sre.MAXREPEAT or high > 1) and _splits(_flattened(body), wraps=True):
                return "a repeated group holds an unbounded repeat that can also match what follows it, as in (.*?,){11}"
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


_REPEATS: tuple[Any, ...] = ()
if _sre is not None:
    _REPEATS = tuple(op for op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT, getattr(_sre, "POSSESSIVE_REPEAT", None)) if op)


def backtracking_risk(pattern: str) -> str | None:
    """Why `pattern` may backtrack catastrophically (nested, overlapping or splitting repeats), or None.

        backtracking_risk(r"(a+)+$")       # 'a repeated group holds another unbounded repeat, ...'
        backtracking_risk(r"^(.*?,){11}P")  # 'a repeated group holds an unbounded repeat that ...'

    A heuristic over the pattern's parse tree: it finds the textbook shapes, not every one.
    """
    if _sre_parse is None:  # pragma: no cover
        return None
    try:
        items = list(_sre_parse.parse(pattern))
    except Exception:  # noqa: BLE001 - syntax only the regex module knows: not checked
        return None
    return _risk(items, False)
