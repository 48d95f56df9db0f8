"""What the default detector's model weighs in a User-Agent: its words, their affixes, and the
shape of the whole string.

    words = words_of(low)                          # the runs of letters of the lower-cased text
    text_features(text, rule, known)               # every feature, named, as the trainer sees them
    _Shape(weights).score(text, low, words, unknown)   # the shape's weight, as `Detector` sums it

`text` is the User-Agent as sent (normalized), `low` the same lower-cased: the words are read in
lower case, and the shape once in the case the sender wrote (`lower_named`).

The trainer (`scripts/build_detector.py`) names features with `text_features`; `Detector` sums the
same weights without building the names (`_Shape`, `_Unknown`). A test holds the two to one sum.
"""

from __future__ import annotations

import re
from collections.abc import Container, Mapping, Sized
from typing import Final

from ._rulesets import Rule

__all__ = [
    "SHAPE_LABELS", "distinct", "first_release", "is_bare_token", "is_shapeless", "is_versionless", "leading_name",
    "lower_named", "shape_features", "text_features", "word_features", "words_of",
]

# Bytes that are not ASCII letters become spaces: a word is a run of letters.
_LETTERS: Final = bytes(c if 97 <= c <= 122 else 32 for c in range(256))
# Unseen words are scored from their prefix and suffix tables and remembered, up to this many.
_MEMO_LIMIT = 20_000


def words_of(low: str) -> list[bytes]:
    """The runs of ASCII letters of a lower-cased text (one letter included; it weighs nothing).

    One C pass each (encode, translate, split): about three times faster than a regex findall.
    """
    return low.encode("ascii", "replace").translate(_LETTERS).split()


def distinct(words: list[bytes]) -> list[bytes]:
    """Each word once, where it first stands: evidence counts once, so a token that a proxy or a
    plug-in appends again and again (`OWASMIME/4.0500 OWASMIME/4.0500 …`) weighs what it weighs once."""
    return list(dict.fromkeys(words))


def word_features(word: str) -> list[str]:
    """The features one word contributes: itself, and for longer words its affixes."""
    if len(word) < 2:
        return []
    found = ["w:" + word]
    if len(word) >= 5:
        found.append("s:" + word[-3:])
    if len(word) >= 6:
        found.append("t:" + word[-4:])
        found.append("p:" + word[:4])
    return found


def is_bare_token(low: str) -> bool:
    """One token, such as `Name/version` or a single word: the whole of what many people's media
    players and apps send, of test clients, and of many scripts."""
    return " " not in low and "(" not in low


_NAMES_A_VERSION: Final = re.compile(r"[0-9]").search
# A bare `Name/version` whose version is a pre-release's (0.x), exactly 1.0, or one number alone
# (`Name/1`, `Name/v2`, `Name/248`): how scripts, servers and a developer's first client name
# themselves. In the corpus bots send 59 bare `Name/0.x`, 120 bare `Name/1.0` and 13 bare
# `Name/<number>`, people 3, 3 and none; a person's player names the release it ships.
_FIRST_RELEASE: Final = re.compile(r"[a-z][\w.-]*/v?(?:(0\.)\d|1\.0$|(\d+)$)").match


def first_release(low: str) -> str | None:
    """The shape feature of a bare token that names a first release: "x:v0" for `Name/0.x`,
    "x:v10" for `Name/1.0`, "x:vint" for `Name/<number>`, else None."""
    return _release_of(low) if is_bare_token(low) else None


def _release_of(bare: str) -> str | None:
    """`first_release` of a text already known to be a bare token."""
    found = _FIRST_RELEASE(bare)
    if found is None:
        return None
    return "x:v0" if found.group(1) else "x:vint" if found.group(2) else "x:v10"


def lower_named(text: str) -> bool:
    """A bare token with a digit whose name (what stands before its first "/") is written in lower
    case: `collectd/5.5.1`, `spray-can/1.3.3`, `rclone/v1.34`, `mattermost-5.19.0`. So command-line
    tools, daemons, libraries and services name themselves; people's players and apps write their
    name as a brand (`Spotify/8.9`, `iTunes/12.1`, `VLC/3.0.20`). In the corpus, bots send 343 of
    these and people 7: w3m, a text-mode browser, twice (`TEXT_BROWSERS` speaks for it), two phone
    models written alone (`nokia7660`) and three oddities. `text` is as sent, not lower-cased."""
    return _names_a_version(text) and _name(text).islower()


def _names_a_version(text: str) -> bool:
    """A bare token with a digit (`_Shape.score` spells this test inline: it runs on every string
    that is not a major browser's)."""
    return is_bare_token(text) and _NAMES_A_VERSION(text) is not None


def _name(bare: str) -> str:
    """The name of a bare token: what stands before its first "/"."""
    return bare.partition("/")[0]


_LEADING: Final = re.compile(r"[^/ (;]*")


def leading_name(text: str) -> str:
    """The name a User-Agent opens with: what stands before its first "/", space, "(" or ";"
    (`Lynx` in `Lynx/2.8.9rel.1 libwww-FM/2.14`, `Links` in `Links (2.29; Linux …)`)."""
    found = _LEADING.match(text)
    assert found is not None  # the pattern matches the empty string
    return found.group()


def is_shapeless(text: str) -> bool:
    """A bare token with a digit (`Name/version`, `Name2`): what a person's player or app sends as
    often as a script does, so the detector gives its shape no weight, either way, and its word
    decides. A bare name without one (`Anthill`, `Name/production`) is weighed whole: in the
    corpus, bots send 352 names alone and people 72, nearly all of those fragments of longer
    strings ("like", "en-US)") or a vendor's name alone in a parser's tests; and bots send 120
    `Name/word` without a digit, people 3. So is a bare token that names a first release
    (`first_release`) or writes its name in lower case (`lower_named`): its shape weighs, and a
    weight of their own with it. `text` is as sent, not lower-cased."""
    return _names_a_version(text) and _FIRST_RELEASE(text.lower()) is None and not _name(text).islower()


_VERSIONED: Final = re.compile(r"[0-9();]").search


def is_versionless(text: str) -> bool:
    """No digit, no parenthesis, no semicolon: a name or a few words alone, with no version and no
    comment (`ManageWP`, `Amazon CloudFront`, `Integromat/production`). People's software names its
    version; a script's default, a service's name or a stray value often does not. In the corpus,
    bots send 555 of these and people 92, nearly all of those junk of 2016-2018 traffic in
    Crawler-Detect's devices (`a`, `NULL`, `$UA`), a 1990s browser or a maker's name alone."""
    return _VERSIONED(text) is None


# A name and a version set apart by a space, and nothing else but a parenthesis ("ClamAV 0.95.3",
# "Acoon v4.10.5 (www.acoon.de)"): how scripts and servers name themselves far more often than
# people's software does. Tried on strings under 64 characters only, which bounds its cost.
_SPACED_VERSION: Final = re.compile(r"[a-z][\w.-]*(?: [a-z][\w.-]*)? v?/?\d+(?:\.\d+)+\w*(?: \([^)]*\))?$").match


def _size(low: str) -> str:
    size = len(low)
    return "16" if size < 16 else "32" if size < 32 else "64" if size < 64 else "128" if size < 128 else "long"


def shape_features(text: str, words: list[bytes], known: Container[bytes]) -> list[str]:
    """The features of the whole string's shape (`text`, as sent), and one for each word (of two
    letters or more) that is not in `known`, by its place: first, last or inside, in a
    browser-shaped string or not. The trainer sees them on every string; `Detector` sums the same
    weights without building these names, and not on a bare token that names a version
    (`is_shapeless`)."""
    low = text.lower()
    browser = low.startswith("mozilla/")
    found = ["x:browser" if browser else "x:other", "x:len" + _size(low), f"x:tokens{min(low.count(' ') + 1, 6)}"]
    if "(" in low:
        found.append("x:parens")
    if "://" in low or "www." in low:
        found.append("x:url")
    if "@" in low:
        found.append("x:at")
    if "/" not in low:
        found.append("x:noslash")
    release = first_release(low)
    if release is not None:
        found.append(release)
    if lower_named(text):
        found.append("x:lower")
    if not browser and len(low) < 64 and _SPACED_VERSION(low):
        found.append("x:spaced")
    kind = "b" if browser else "o"
    last = len(words) - 1
    places = {
        "first" if i == 0 else "last" if i == last else "inside"
        for i, word in enumerate(words)
        if len(word) >= 2 and word not in known
    }
    found += (f"o:{kind}{place}" for place in ("first", "inside", "last") if place in places)
    return found


class _Shape:
    """The shape weights of a model, summed for one string as `shape_features` names them."""

    __slots__ = ("_base", "_tokens", "_parens", "_url", "_at", "_noslash", "_spaced", "_release", "_lower", "_unknown")

    def __init__(self, weights: Mapping[str, float]) -> None:
        def get(name: str) -> float:
            return float(weights.get(name, 0.0))

        # By browser shape (False, True) and length (up to 128): the two weights every string has.
        self._base = tuple(
            tuple(get("x:browser" if browser else "x:other") + get("x:len" + _size("x" * size)) for size in range(129))
            for browser in (False, True)
        )
        self._tokens = (0.0, *(get(f"x:tokens{n}") for n in range(1, 7)))
        self._parens, self._url, self._at, self._noslash, self._spaced = (
            get(f"x:{n}") for n in ("parens", "url", "at", "noslash", "spaced")
        )
        self._release = {name: get(name) for name in ("x:v0", "x:v10", "x:vint")}
        self._lower = get("x:lower")
        self._unknown = {
            (kind, place): get(f"o:{kind}{place}") for kind in "bo" for place in ("first", "last", "inside")
        }

    def score(self, text: str, low: str, words: Sized, unknown: list[int]) -> float:
        """The shape's weight of `text` (`low`, lower-cased); `unknown` holds the places in `words`
        of the words the model does not know."""
        release = None
        lower = False
        if " " not in low and "(" not in low and _NAMES_A_VERSION(low) is not None:
            release = _release_of(low)
            lower = _name(text).islower()
            if release is None and not lower:
                return 0.0  # `is_shapeless`
        browser = low.startswith("mozilla/")
        score = self._base[browser][min(len(low), 128)] + self._tokens[min(low.count(" ") + 1, 6)]
        if "(" in low:
            score += self._parens
        if "://" in low or "www." in low:
            score += self._url
        if "@" in low:
            score += self._at
        if "/" not in low:
            score += self._noslash
        if release is not None:
            score += self._release[release]
        if lower:
            score += self._lower
        if not browser and len(low) < 64 and _SPACED_VERSION(low):
            score += self._spaced
        if unknown:  # each place weighs once, however many unknown words stand there
            kind = "b" if browser else "o"
            last = len(words) - 1
            if unknown[0] == 0:
                score += self._unknown[kind, "first"]
            if unknown[-1] == last and last > 0:
                score += self._unknown[kind, "last"]
            if any(0 < i < last for i in unknown):
                score += self._unknown[kind, "inside"]
        return score


def text_features(text: str, rule: Rule | None, known: Container[bytes]) -> list[str]:
    """Every feature of a User-Agent (as sent) whose first public-list match is `rule`, when the
    words in `known` are the ones the model has weights for."""
    words = distinct(words_of(text.lower()))
    found = [feature for word in words for feature in word_features(word.decode("ascii"))]
    if rule is not None:
        found.append("r:" + rule.pattern)
        found.append("g:" + rule.source)
    found += shape_features(text, words, known)
    return found


# What a shape feature means, for explanations.
SHAPE_LABELS: Final = {
    "x:browser": "browser-shaped",
    "x:other": "not browser-shaped",
    "x:parens": "has parentheses",
    "x:url": "has a URL",
    "x:at": "has an e-mail address",
    "x:noslash": "no product/version",
    "x:spaced": "a name and a version, spaced",
    "x:v0": "a pre-release version alone",
    "x:v10": "version 1.0 alone",
    "x:vint": "a version of one number alone",
    "x:lower": "a name in lower case alone with its version",
    "o:bfirst": "unknown first word",
    "o:blast": "unknown word at the end of a browser string",
    "o:binside": "unknown word inside a browser string",
    "o:ofirst": "unknown first word",
    "o:olast": "unknown last word",
    "o:oinside": "unknown word",
    **{f"x:len{size}": f"under {size} characters" for size in ("16", "32", "64", "128")},
    "x:lenlong": "128 characters or more",
    "x:tokens1": "1 token",
    **{f"x:tokens{n}": f"{n} tokens" for n in range(2, 6)},
    "x:tokens6": "6 tokens or more",
}


class _Unknown(dict[bytes, float]):
    """Unseen word -> the score of its affixes (what `word_features` names, less the word itself),
    remembered up to `_MEMO_LIMIT` words. The affixes are looked up as bytes, without building
    their names: a User-Agent of a thousand random letters holds a hundred unseen words."""

    __slots__ = ("_suffix3", "_suffix4", "_prefix4")

    def __init__(self, affixes: Mapping[str, float]) -> None:
        super().__init__()

        def table(kind: str) -> dict[bytes, float]:
            return {name[2:].encode("ascii"): weight for name, weight in affixes.items() if name[:2] == kind and name.isascii()}

        self._suffix3, self._suffix4, self._prefix4 = table("s:"), table("t:"), table("p:")

    def __missing__(self, word: bytes) -> float:
        size = len(word)
        score = 0.0
        if size >= 5:  # summed in `word_features`' order, so the float is the trainer's to the bit
            score = 0 + self._suffix3.get(word[-3:], 0.0)
            if size >= 6:
                score = score + self._suffix4.get(word[-4:], 0.0) + self._prefix4.get(word[:4], 0.0)
        if len(self) < _MEMO_LIMIT:
            self[word] = score
        return score
