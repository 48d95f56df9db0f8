"""User regexes against hostile time: cached timeouts, one budget per decision, prefiltered lists."""

from __future__ import annotations

import logging
import sys

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

import botguard
from botguard import Config, ConfigError, Verdict, cache_info, classify, explain
from botguard._patterns import PatternList
from botguard._backtracking import backtracking_risk
from botguard._regex_analysis import prefilter_literals, prefilter_text

# Polynomial, not exponential, so `regex` does not defuse it: on 1,000 commas one search runs
# for seconds. The backtracking check used to let it through.
COMMAS = r"^(.*?,){11}P"
HOSTILE = "," * 1000


def test_a_search_that_ran_out_of_time_is_cached_like_any_verdict() -> None:
    config = Config(deny=[COMMAS], builtin=None, match_timeout=0.02)
    before = cache_info()
    assert classify(HOSTILE, config) is Verdict.NONE  # gave up: counts as no match
    for _ in range(5):
        assert classify(HOSTILE, config) is Verdict.NONE
    after = cache_info()
    # Decided once; the other five were hits, not another 20 ms of backtracking each.
    assert (after.misses - before.misses, after.hits - before.hits) == (1, 5)
    cached = botguard._cache.verdict_cache(config)[HOSTILE]
    assert cached.timed_out and not cached.uncertain


def test_one_budget_caps_the_regex_time_of_a_decision(caplog: pytest.LogCaptureFixture) -> None:
    # Ten slow patterns would cost ten timeouts; the budget stops the search after about two.
    config = Config(deny=[COMMAS.replace("P", f"P{i}") for i in range(10)], builtin=None,
                    match_timeout=0.02, match_budget=0.03)
    with caplog.at_level(logging.WARNING, logger="botguard"):
        found = explain(HOSTILE, config)
    assert found.verdict is Verdict.NONE and found.timed_out
    gave_up = [r for r in caplog.records if "gave up" in r.getMessage()]
    assert 1 <= len(gave_up) < 10
    assert any("regex time of one decision" in r.getMessage() for r in caplog.records)


def test_a_budget_spent_by_a_slow_allow_pattern_leaves_deny_unsearched() -> None:
    # The budget covers the whole decision, not each list: allow spent it, deny is not tried.
    config = Config(allow=[COMMAS], deny=[","], builtin=None, match_timeout=0.05, match_budget=0.02)
    assert explain(HOSTILE, config).verdict is Verdict.NONE
    # Without the slow allow pattern, deny decides.
    assert explain(HOSTILE, Config(deny=[","], builtin=None)).verdict is Verdict.DENY


def test_match_budget_is_validated_and_read_from_mappings() -> None:
    assert Config().match_budget == 0.1
    assert Config.from_mapping({"match_budget": 0.25}).match_budget == 0.25
    for bad in (0, -1, 61, "1", True, float("nan")):
        with pytest.raises(ConfigError, match=r"^match_budget: expected seconds in \(0, 60\]"):
            Config(match_budget=bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("pattern", [COMMAS, r"(.*?,){2}P", r"(.*){2}", r"(?:\w+\s?){3}x"])
def test_repeated_groups_that_split_their_text_are_flagged(pattern: str, caplog: pytest.LogCaptureFixture) -> None:
    assert backtracking_risk(pattern) is not None
    with caplog.at_level(logging.WARNING, logger="botguard"):
        Config(deny=[pattern], builtin=None)
    assert "may backtrack" in caplog.text


@pytest.mark.parametrize("pattern", [r"([^,]*,){11}P", r"(\d+\.){3}\d+", r"(?:\S+\s+){3}x", r"(?:[a-z]+/){3}"])
def test_repeated_groups_with_clear_boundaries_are_not_flagged(pattern: str) -> None:
    assert backtracking_risk(pattern) is None


# -- the prefilter --------------------------------------------------------------------------------


def test_prefilter_literals() -> None:
    assert prefilter_literals(r"(?i)scrapy|python-requests") == ("python-requests", "scrapy")
    assert prefilter_literals(r"Mozilla/5\.0 \(compatible; MyBot") == ("mozilla/5.0 (compatible; mybot",)
    assert prefilter_literals(r"(?<!cu)bots?\b") == ("bot",)
    # No literal, too short a literal, or syntax `re` reads otherwise than `regex`: always tried.
    for pattern in [r"^\w+$", r"ab", r"(?:googlebot){e<=2}", r"[[:alpha:]]+bot", r"\p{Han}crawler", r"[a-z--q]bot"]:
        assert prefilter_literals(pattern) == (), pattern


def test_prefilter_text_folds_every_character_regex_matches_to_an_ascii_letter() -> None:
    # `regex` with IGNORECASE matches "ſ" to s, "K" (Kelvin) to k, "İ" and "ı" to i: the folded
    # text must hold the ASCII letter wherever the pattern's letter matched.
    every = "".join(chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF)
    for letter in "abcdefghijklmnopqrstuvwxyz":
        for pattern in (letter, letter.upper()):
            for char in regex.findall("(?i)" + pattern, every):
                assert prefilter_text(char) == letter, (pattern, char)


def test_a_large_list_searches_only_the_patterns_whose_literal_is_there() -> None:
    patterns = [rf"(?i)\bcrawler-{i:04d}\b" for i in range(5000)] + [r"^\d+$"]
    plist = PatternList("deny", patterns, 0.05)
    chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"
    assert [rule.index for _, rule in plist._candidates(chrome)] == [5000]
    assert [rule.index for _, rule in plist._candidates("x Crawler-0042 y")] == [42, 5000]
    found, timed_out = plist.search("x Crawler-0042 y")
    assert found is not None and found.index == 42 and not timed_out


_ATOMS = [
    "bot", "Bot", "BOT", "crawl", "spider", "k", "K", "s", "i", "I", "x", "é", "-", "/", " ", ";",
    r"\d", r"\w", r"\s", r"\b", ".", "[bB]", "[^a]", "[a-c]", "(?:bot|crawl)", "(?:spi|sp)", r"\.",
    "(?=bot)", "(?<!x)", "(?!s)", "^", "$",
]
_QUANTIFIERS = ["", "", "", "?", "*", "+", "{2}", "{1,3}", "*?"]
_PIECES = ["bot", "Bot", "BOT", "crawl", "Crawl", "spider", "SPIDER", "ſ", "K", "İ", "ı", "é", "É", "k", "s",
           "i", "x", "0", "42", " ", "/", ";", "-", ".", "Mozilla/5.0 ", "(compatible; ", "ß", "ς", "Σ"]

pattern = st.builds(
    lambda flags, parts: flags + "".join(parts),
    st.sampled_from(["", "", "(?i)"]),
    st.lists(st.builds(lambda a, q: a + q if a not in ("^", "$", r"\b") and not a.startswith("(?") or q == "" else a,
                       st.sampled_from(_ATOMS), st.sampled_from(_QUANTIFIERS)), min_size=1, max_size=6),
)
texts = st.lists(st.sampled_from(_PIECES), max_size=12).map("".join)


@given(patterns=st.lists(pattern, min_size=1, max_size=12), text=texts)
@settings(max_examples=600, deadline=None)
def test_prefiltered_search_finds_the_first_match_a_plain_search_finds(patterns: list[str], text: str) -> None:
    valid = []
    for candidate in patterns:
        try:
            regex.compile(candidate)
        except regex.error:
            continue
        valid.append(candidate)
    if not valid:
        return
    expected = next((i for i, p in enumerate(valid) if regex.search(p, text) is not None), None)
    found, timed_out = PatternList("deny", valid, 10.0, prefilter=True).search(text)
    assert not timed_out
    assert (None if found is None else found.index) == expected
