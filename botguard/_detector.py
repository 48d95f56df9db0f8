"""The default detector: rules that name a bot for certain, then evidence on both sides, weighed.

    detector = Detector(rules, engine, model)   # built once by `builtin_ruleset("default")`
    detector("curl/8.4.0")                       # -> the Rule that decided, or None for a person

The order of a decision:

0. A User-Agent that is, whole, the string a major browser sends today (only its version numbers
   free: `rules/botguard.py`, `BROWSER_FORMATS`) is a person's, at once. Nothing below would say
   otherwise (a property test weighs the full evidence of strings made from those patterns), so
   this only spares the work; `weigh()` still weighs everything. A phone's string in Chrome's
   format that names its model (`PHONE_FORMAT`) goes through the steps below, and its version
   numbers change nothing there within a length class (a property test holds it): the verdict
   cache answers the same string with other numbers as it was answered (`_cache.phone_key`).
1. Attack probes (injection, traversal and command syntax; scanner names) decide for certain,
   in their own category "probe".
2. botguard's named rules (AI crawlers, HTTP libraries and tools: `rules/botguard.py`) decide
   for certain.
3. Everything else is evidence, summed by a linear model: each distinct word of the User-Agent
   (a run of letters; said twice, it counts once) weighs for a bot or for a person, through the
   word itself and its first four and last three or four letters (so "…bot", "…spider", "craw…"
   carry weight in names never seen);
   the first rule of the public lists that matches (crawler-user-agents, isbot, botguard's
   generic shapes, Crawler-Detect) weighs as one more feature, by pattern and by list. The shape
   of the whole string weighs too (whether it starts as a browser's does, its length, how many
   tokens, a URL or an e-mail address in it, a name and a version set apart by a space), and so
   do the words the training never saw, by where they stand (first, last, inside: each place
   once) and whether the string is browser-shaped. No piece of evidence counts twice, so a token
   repeated by a proxy cannot pile up. An unknown token appended to a browser's string is
   evidence of a tool, an unknown model name inside a phone's is not. A rule decides only when
   the sum, its own weight included, reaches the model's threshold: a weak rule inside a string
   that speaks for a person does not.
   Crawler-Detect's patterns, written to run after its exclusions have deleted a browser's own
   tokens, must clear it by a margin (`rule_margins`). Without a rule, the evidence must reach a
   higher threshold. A bare token that names a version (`Name/version`) gets no
   weight from its shape (the model learns the shape's weights on every string, so its words are
   not blamed for the shape, but a person's player or a test client sends just that): only its
   word decides, and an unknown name weighs what its affixes weigh; unless its version is a first
   release's (`Name/0.x`, `Name/1.0`, `Name/2`), as scripts and servers name themselves: then its
   shape weighs, and the version with it (`first_release`); so it does when its name is written
   in lower case (`collectd/5.5.1`), as tools, daemons and libraries write theirs and people's
   software, a brand, rarely does (`lower_named`: the one place case is read). A bare name with
   no digit (`Anthill`, `Scamadviser-Frontend`, `Name/production`) is weighed whole, shape included:
   people's software names its version, a script's default or a service's name often does not.
   For the same reason a string with no version and no comment (`is_versionless`: no digit, no
   parenthesis, no semicolon) is held, without a rule, to the words' threshold less the model's
   `name_margin`.
4. People's media software (players, radio and podcast apps, smart speakers, the media stacks of
   operating systems) often sends a bare `Name/version`. The words of media software speak for a
   person (`rules/botguard.py`, `PERSON_WORDS`) whatever the model says, unless a rule of step 1
   or 2 names a bot or the string declares itself a robot (`SELF_DECLARED`; a contact URL alone
   does not beside a podcast app's word: the apps write one in their listeners' requests), and
   so does a media stem in the name of a bare token (`MyRadio/1.0`: `MEDIA_STEMS`), and a
   text-mode browser's name as the whole name the string opens with (`w3m/0.5.3`,
   `Lynx/2.8.9rel.1 libwww-FM/2.14 …`: `TEXT_BROWSERS`). So does
   the name Starlette's test client sends (`testclient`), so that an app's tests keep passing.

The features (words, affixes, shape) are read in `_features.py`. The weights are data
(`rules/detector_model.json`), built by `scripts/build_detector.py` from the labelled corpus
shipped in `benchmarks/data/`; scoring is plain Python dictionary lookups.
A verdict of the model is a `Rule` whose source is "model", whose pattern lists the features
that weighed most, and whose category is the deciding rule's or, without one, the category the
weightiest bot words point to. A weighed rule of the catch-all category "other" is put in "feed"
where the words of podcast or feed software stand (a podcast app's fetcher that only its contact
URL names).
`evidence()` tells what weighed for any string, refused or passed: the score, the threshold it
had to reach and the features (`botguard check --why`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from importlib import resources
from typing import Any, Final, NamedTuple, Protocol

from ._features import (
    SHAPE_LABELS, _name, _Shape, _Unknown, distinct, is_bare_token, is_shapeless, is_versionless, leading_name,
    shape_features, words_of,
)
from ._list_engine import holds_any
from ._rulesets import Rule, literal_forms, top_level_branches

__all__ = ["Detector", "Evidence", "ListEngine", "MODEL_FILE", "Weighed", "load_model"]

MODEL_FILE: Final = "detector_model.json"


def load_model(data: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The shipped model (or `data`, a model as `scripts/build_detector.py` writes it), checked."""
    if data is None:
        text = resources.files("botguard.rules").joinpath(MODEL_FILE).read_text("utf-8")
        data = json.loads(text)
    model = dict(data)
    for key in ("words", "affixes", "rules", "threshold_rule", "threshold_words"):
        if key not in model:
            raise ValueError(f"detector model lacks {key!r}")
    model.setdefault("shape", {})  # a model without shape weights: the shape weighs nothing
    model.setdefault("rule_margins", {})  # every list's rule held to `threshold_rule` alone
    model.setdefault("name_margin", 0.0)  # a string with no version held to `threshold_words` too
    return model


def _probe_branches(pattern: str) -> tuple[tuple[re.Pattern[str], tuple[str, ...]], ...]:
    """A probe's top-level alternatives, each compiled with the ASCII literals it cannot match
    without (empty: it always runs); the probe matches where one of them does. A pattern whose
    alternatives do not compile alone (a reference to another's group) stays whole."""
    try:
        branches = [re.compile(branch, re.IGNORECASE) for branch in top_level_branches(pattern)]
    except re.error:
        branches = [re.compile(pattern, re.IGNORECASE)]
    found = []
    for compiled in branches:
        literals = literal_forms(compiled.pattern).literals
        found.append((compiled, literals if all(map(str.isascii, literals)) else ()))
    return tuple(found)


class ListEngine(Protocol):
    """The first-match engine over the public lists, which also sees the probes' gate (`_list_engine.py`)."""

    def search_gated(self, text: str, low: str | None = None) -> tuple[Rule | None, bool]: ...


class Weighed(NamedTuple):
    """The evidence about one User-Agent: decided for certain (a probe or a named rule), or weighed
    with or without a public-list rule, to a score, unless people's media software speaks for it.
    `margin` is added to the threshold: with a rule, what its list asks above the rule threshold
    (the model's `rule_margins`); without one, the model's `name_margin` negated for a string with
    no version and no comment (`is_versionless`), else nothing."""

    certain: bool
    with_rule: bool
    score: float
    spoken_for: bool
    margin: float = 0.0

    def blocks(self, t_rule: float, t_words: float) -> bool:
        """Whether a detector with these thresholds refuses it."""
        if self.certain:
            return True
        return not self.spoken_for and self.score >= (t_rule if self.with_rule else t_words) + self.margin


class Evidence(NamedTuple):
    """What the detector made of one User-Agent, for a person reading it (`botguard check --why`).

    `step` is "browser" (a major browser's own string, a person's before anything is weighed),
    "certain" (a probe or a named rule decided alone) or "weighed". For a weighed string: the
    `score` against the `threshold` it had to reach, the public list's `rule` that was weighed
    (None: the words alone), whether people's media software `spoken_for` it, and what weighed,
    largest first (`features`: the rule's own weight under its list's name, then words and shape,
    as `contributions` labels them); they sum to `score`. `versionless`: the threshold is the
    words' less the model's `name_margin`, for a string with no version and no comment."""

    step: str
    score: float | None = None
    threshold: float | None = None
    rule: Rule | None = None
    spoken_for: bool = False
    features: tuple[tuple[str, float], ...] = ()
    versionless: bool = False


class Detector:
    """Decide one User-Agent: the Rule that names it a bot, or None for a person."""

    __slots__ = (
        "_search_gated", "_certain", "_probes", "_known", "_unknown", "_shape", "_form", "_rules",
        "_t_rule", "_t_words", "_t_name", "_margins", "_person", "_person_name", "_browser_name",
        "_self_declared", "_contact_apps", "_word_category", "_feed", "well_formed", "formats_raw",
    )

    def __init__(
        self,
        engine: ListEngine,
        certain: int,
        probes: Sequence[Rule],
        model: Mapping[str, Any],
        person_words: Iterable[str],
        self_declared: str,
        word_categories: Mapping[str, str],
        browser_formats: str | None = None,
        phone_format: str | None = None,
        contact_apps: Iterable[str] = (),
        person_names: str = "(?!)",
        browser_names: str = "(?!)",
    ) -> None:
        """`engine` finds the first rule of the list; rules with an index below `certain` decide
        alone; `probes` decide alone too, tried only on a text where the engine saw its gate; a
        text that `browser_formats` matches whole is a person's without more; `phone_format`
        names the phones' strings whose decision stands for the same string with other version
        numbers (where its groups 1 and 2 leave off), in the same length class (`_cache.phone_key`).
        `self_declared` finds what overrules `person_words`; what it finds in its group "contact"
        (a contact URL) does not beside a word of `contact_apps` (apps that write one in a person's
        own requests). A bare token whose name holds what `person_names` finds (a media stem:
        `RadioApp/1.0`), and a string whose leading name `browser_names` matches whole (a text-mode
        browser: `w3m/0.5.3`, `Lynx/2.8.9rel.1 libwww-FM/2.14`), are spoken for as a word of
        `person_words` is."""
        self._search_gated = engine.search_gated
        self._certain = certain
        self._probes = tuple((_probe_branches(rule.pattern), rule) for rule in probes)
        self._rules: dict[str, float] = dict(model["rules"])
        self._person = frozenset(word.encode("ascii") for word in person_words)
        self._person_name = re.compile(person_names).search
        self._browser_name = re.compile(f"(?:{browser_names})").fullmatch
        self._self_declared = re.compile(self_declared)
        self._contact_apps = frozenset(word.encode("ascii") for word in contact_apps)
        # Every word the model knows (a word of one letter weighs nothing and is never unknown).
        self._known = {bytes([c]): 0.0 for c in range(97, 123)}
        self._known.update((word.encode("ascii"), score) for word, score in model["words"].items() if word.isascii())
        self._unknown = _Unknown(model["affixes"])
        self._shape: dict[str, float] = dict(model["shape"])
        self._form = _Shape(self._shape)
        self._t_rule = float(model["threshold_rule"])
        # A list whose patterns are weaker evidence: its rule must clear the threshold by a margin.
        self._margins = {source: float(margin) for source, margin in model["rule_margins"].items()}
        self._t_words = float(model["threshold_words"])
        # A string with no version and no comment (`is_versionless`) needs less without a rule.
        self._t_name = self._t_words - float(model["name_margin"])
        self._word_category = {word.encode("ascii"): category for word, category in word_categories.items()}
        self._feed = frozenset(word for word, category in self._word_category.items() if category == "feed")
        # A match when the whole text is a major browser's string (ASCII: `\d` is 0-9 only).
        formats = browser_formats or r"(?!)"
        self.well_formed = re.compile(formats, re.ASCII).fullmatch
        # For a raw header value, before it is decoded, both in one pass: a match without groups
        # is a major browser's string (what `well_formed` matches), one with groups a phone's
        # (`_cache.phone_key`).
        both = f"{formats}|{phone_format or '(?!)()()()'}"
        self.formats_raw = re.compile(both.encode("ascii"), re.ASCII).fullmatch

    # The rule's own weight: by pattern, else by list (a rule the training never saw).
    def _rule_score(self, rule: Rule) -> float:
        weights = self._rules
        return weights.get("r:" + rule.pattern, 0.0) + weights.get("g:" + rule.source, 0.0)

    def _score(self, text: str, low: str, words: list[bytes]) -> float:
        """The evidence of the words of `low` (`text` lower-cased; each distinct word once: `distinct`)
        and of the shape (rules apart)."""
        # Each word once, where it first stands: half of all browser strings say a word twice
        # ("like Mac OS X … like Gecko"), so this costs about 0.6 µs and is not skipped.
        once = dict.fromkeys(words)
        try:
            # A person's string holds only words the model knows (98% of the corpus' people):
            # one pass in C, summed in the same order as below and as the trainer sums.
            score = sum(map(self._known.__getitem__, once))
            unknown: list[int] = []
        except KeyError:
            values = list(map(self._known.get, once))
            unknown = [i for i, value in enumerate(values) if value is None]
            memo = self._unknown
            score = sum(memo[word] if value is None else value for word, value in zip(once, values))
        return score + self._form.score(text, low, once, unknown)

    def __call__(self, text: str) -> Rule | None:
        if self.well_formed(text) is not None:
            return None  # a major browser's own string: step 0
        low = text.lower()
        rule, gated = self._search_gated(text, low)
        if gated:  # a probe wins over any rule of the list
            probe = self._probe(low)
            if probe is not None:
                return probe
        if rule is not None and rule.index < self._certain:
            return rule
        words = words_of(low)
        score = self._score(text, low, words)
        if rule is not None:
            threshold = self._t_rule + self._margins.get(rule.source, 0.0)
            if score + self._rule_score(rule) >= threshold and not self._spoken_for(low, words):
                if rule.category == "other" and not self._feed.isdisjoint(words):
                    # A podcast app's or a feed reader's fetcher, named by a catch-all rule
                    # (isbot's "http" of a contact URL): a feed or podcast site admits "feed".
                    return replace(rule, category="feed")
                return rule
            return None
        if (score >= self._t_words or (score >= self._t_name and is_versionless(text))) and not self._spoken_for(
            low, words
        ):
            return self._verdict(text, words, score)
        return None

    def outweighed(self, text: str) -> tuple[Rule, str] | None:
        """The public-list rule that `text` matches but that does not decide, and why; None when
        no such rule matches or one decides (for `explain()`: not on the decision's path)."""
        if self.well_formed(text) is not None:
            return None
        rule, weighed = self._weighed(text)
        if rule is None or weighed.certain:
            return None
        threshold = self._t_rule + weighed.margin
        if weighed.score < threshold:
            return rule, f"outweighed by the evidence against it (score {weighed.score:.2f} < {threshold:.2f})"
        if weighed.spoken_for:
            return rule, "people's media software speaks for it"
        return None

    def _probe(self, low: str) -> Rule | None:
        """The first probe found in `low`, trying only the alternatives whose literals it holds."""
        # On ASCII text a branch whose literals are all absent cannot match (IGNORECASE folds
        # some non-ASCII letters onto ASCII ones, so other text tries every branch).
        ascii = low.isascii()
        for branches, probe in self._probes:
            for compiled, literals in branches:
                if ascii and literals and not holds_any(low, literals):
                    continue
                if compiled.search(low) is not None:
                    return probe
        return None

    def _spoken_for(self, low: str, words: list[bytes]) -> bool:
        """True when a word of people's media software is present (or a media stem in the name of a
        bare token, `MyRadio/1.0`, or a text-mode browser's name leading the string, `w3m/0.5.3`)
        and nothing declares a robot (a contact URL alone does not, beside the word of an app that
        writes one for its listeners)."""
        if (
            self._person.isdisjoint(words)
            and not (is_bare_token(low) and self._person_name(_name(low)))
            and self._browser_name(leading_name(low)) is None
        ):
            return False
        declared = {found.lastgroup for found in self._self_declared.finditer(low)}
        return not declared or (declared == {"contact"} and not self._contact_apps.isdisjoint(words))

    def weigh(self, text: str) -> Weighed:
        """What the decision of `text` rests on, for any thresholds (`Weighed.blocks`): the detector
        decides `Weighed(...).blocks(t_rule, t_words)` with its own (for benchmarks and tests)."""
        return self._weighed(text)[1]

    def _weighed(self, text: str) -> tuple[Rule | None, Weighed]:
        """`weigh(text)`, and the first public-list rule it found (None for none)."""
        low = text.lower()
        rule, gated = self._search_gated(text, low)
        if (gated and self._probe(low) is not None) or (rule is not None and rule.index < self._certain):
            return rule, Weighed(True, False, 0.0, False)
        words = words_of(low)
        score = self._score(text, low, words)
        if rule is None:
            margin = self._t_name - self._t_words if is_versionless(text) else 0.0
            return None, Weighed(False, False, score, self._spoken_for(low, words), margin)
        margin = self._margins.get(rule.source, 0.0)
        return rule, Weighed(False, True, score + self._rule_score(rule), self._spoken_for(low, words), margin)

    def evidence(self, text: str) -> Evidence:
        """What the decision of `text` rests on, said for a person (see `Evidence`)."""
        if self.well_formed(text) is not None:
            return Evidence("browser")
        rule, weighed = self._weighed(text)
        if weighed.certain:
            return Evidence("certain")  # the verdict names the probe or the rule
        found = self.contributions(text, words_of(text.lower()))
        if rule is not None:
            found = {f"(rule of {rule.source})": self._rule_score(rule), **found}
        threshold = (self._t_rule if weighed.with_rule else self._t_words) + weighed.margin
        features = tuple(sorted(found.items(), key=lambda item: -abs(item[1])))
        versionless = not weighed.with_rule and weighed.margin != 0.0
        return Evidence("weighed", weighed.score, threshold, rule, weighed.spoken_for, features, versionless)

    def _word_score(self, word: bytes) -> float:
        found = self._known.get(word)
        return self._unknown[word] if found is None else found

    def contributions(self, text: str, words: list[bytes]) -> dict[str, float]:
        """What each word (`words`: of `text` lower-cased) and each feature of the shape adds to the
        score of `text` (rules apart), by label: they sum to what the detector weighs. A bare
        `Name/version`'s shape adds nothing (`is_shapeless`), so it is not listed."""
        found: dict[str, float] = {}
        words = distinct(words)
        for word in words:
            weight = self._word_score(word)
            if weight:
                label = word.decode("ascii")
                found[label] = found.get(label, 0.0) + weight
        if is_shapeless(text):
            return found
        for feature in shape_features(text, words, self._known):
            weight = self._shape.get(feature, 0.0)
            if weight:
                label = f"({SHAPE_LABELS.get(feature, feature[2:])})"
                found[label] = found.get(label, 0.0) + weight
        return found

    def _verdict(self, text: str, words: list[bytes], score: float) -> Rule:
        """A Rule that says why the evidence alone decided: what weighed most, and a category."""
        words = distinct(words)
        top = sorted(self.contributions(text, words).items(), key=lambda item: -abs(item[1]))[:4]
        why = ", ".join(f"{label} {weight:+.2f}" for label, weight in top)
        category = "other"
        for word in sorted(set(words), key=lambda w: -self._word_score(w)):
            found = self._word_category.get(word)
            if found is not None:
                category = found
                break
        threshold = self._t_name if score < self._t_words else self._t_words
        return Rule(
            pattern=f"score {score:.2f} >= {threshold:.2f}: {why}", index=-1, source="model", category=category
        )
