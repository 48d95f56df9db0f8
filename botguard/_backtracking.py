"""The textbook shapes that make a backtracking regex engine blow up, read off a pattern's parse tree.

    backtracking_risk(r"(a+)+$")   # 'a repeated group holds another unbounded repeat, ...'

It walks the tree `_regex_analysis.parse_tree` reads with `re`'s private parser: where the parser
is missing or does not know a pattern's syntax, the answer is "no risk found", so the caller runs
the regex under its time limit as it is.
"""

from __future__ import annotations

from typing import Any

import regex

from ._regex_analysis import SRE as _sre
from ._regex_analysis import parse_tree

__all__ = ["backtracking_risk"]

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
            unbounded = _unbounded(op, av)
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
    items = parse_tree(pattern)
    return None if items is None else _risk(items, False)
