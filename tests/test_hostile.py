"""Everything a client or a config author controls, thrown at botguard: it answers, never raises."""

from __future__ import annotations

import dataclasses
import logging
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from botguard import BotGuardMiddleware, Config, ConfigError, Verdict, classify, explain
from botguard._cache import VerdictLRU, cached_explanation
from botguard._rulesets import BUILTIN_NAMES
from botguard.rules import botguard as own_rules

from tests.support.asgi_harness import http_scope, ok_app, run

RULESETS = [None, *BUILTIN_NAMES]
CONFIGS = {name: Config(builtin=name, allow=[r"(?i)friendly"], deny=[r"(?i)evil", r"\x00"]) for name in RULESETS}
GUARDS = {name: BotGuardMiddleware(ok_app, config=config) for name, config in CONFIGS.items()}

header_value = st.one_of(
    st.binary(max_size=200),
    st.binary(min_size=2000, max_size=20000),
    st.text(max_size=300).map(lambda s: s.encode("utf-8", "surrogatepass")),
    st.sampled_from([b"", b" ", b"\x00", b"\t\r\n", b"Googlebot/2.1", b"\xff" * 70000, b"evil\x00bot"]),
)
header_name = st.sampled_from([b"user-agent", b"accept", b"x-forwarded-for", b"cookie", b""])


@given(name=st.sampled_from(RULESETS), headers=st.lists(st.tuples(header_name, header_value), max_size=40))
@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_middleware_answers_200_400_or_403_for_any_headers(name: str | None, headers: list[tuple[bytes, bytes]]) -> None:
    result = run(GUARDS[name], http_scope(headers))
    count = sum(1 for k, _ in headers if k == b"user-agent")
    if count > 1:
        assert result.status == 400 and not result.app_called
    else:
        assert result.status in (200, 403)
        assert result.app_called == (result.status == 200)


user_agents = st.one_of(
    st.text(max_size=400),
    st.binary(max_size=400),
    st.sampled_from(["Googlebot/2.1", "curl/8.0", "python-requests/2.31", "Mozilla/5.0 evil", "FRIENDLY bot", ""]),
)


@given(name=st.sampled_from(RULESETS), ua=user_agents)
@settings(max_examples=400, deadline=None)
def test_classify_is_total_agrees_with_explain_and_cached_agrees_with_uncached(name: str | None, ua: str | bytes) -> None:
    config = CONFIGS[name]
    first = classify(ua, config)
    assert first in Verdict
    assert explain(ua, config).verdict is first
    assert classify(ua, config) is first  # now from the cache
    fresh = cached_explanation(config, VerdictLRU(4), ua)  # a fresh cache: computed again
    assert fresh.verdict is first


PLAIN = {name: Config(builtin=name) for name in RULESETS}  # no list of the user's: browsers pass at once
browser_strings = st.from_regex(re.compile(own_rules.BROWSER_FORMATS, re.ASCII), fullmatch=True)


@given(
    name=st.sampled_from(RULESETS),
    ua=st.one_of(
        user_agents,
        browser_strings,
        browser_strings.map(str.encode),  # as servers give it: passed before decoding
        browser_strings.map(lambda s: f" {s}\t".encode()),  # padded: stripped before judging
        browser_strings.map(lambda s: s.encode() + b"\xe9"),  # not UTF-8: read as latin-1
        browser_strings.map(lambda s: s + " Zqxwvy/1.0"),
    ),
)
@example(name="default", ua=b"0")  # a rule matches ("^\\d+\\b"), outweighed: explain() names it
@settings(max_examples=300, deadline=None)
def test_a_plain_configs_miss_path_agrees_with_explain(name: str | None, ua: str | bytes) -> None:
    config = PLAIN[name]
    fresh = cached_explanation(config, VerdictLRU(4), ua)
    # `explain()` also names a rule that matched without deciding (`outweighed`), which the
    # request's path does not look for; everything else is the same.
    assert fresh == dataclasses.replace(explain(ua, config), outweighed=None)
    assert classify(ua, config) is fresh.verdict


# Each backtracks exponentially in `regex` on "a" * 64 + "!" (it defuses textbook (a+)+$ itself).
CATASTROPHIC = [r"(a|a)*$", r"^(\w|\w)*$", r"(a|a)+b", r"(?:a|a)*$"]


@pytest.mark.parametrize("pattern", CATASTROPHIC)
@pytest.mark.parametrize("field", ["allow", "deny"])
def test_catastrophic_pattern_is_bounded_answered_and_logged(
    field: str, pattern: str, caplog: pytest.LogCaptureFixture
) -> None:
    config = Config(builtin="kong", match_timeout=0.02, **{field: [pattern]})  # type: ignore[arg-type]
    hostile = ("a" * 64 + "!").encode()
    with caplog.at_level(logging.WARNING, logger="botguard"):
        result = run(BotGuardMiddleware(ok_app, config=config), http_scope([(b"user-agent", hostile)]))
    assert result.status == 200  # the search gave up: no match, the request is answered
    assert any("gave up" in r.getMessage() and repr(pattern) in r.getMessage() for r in caplog.records)


field_values: dict[str, Any] = {
    "allow": st.one_of(st.lists(st.text(max_size=20), max_size=4), st.text(max_size=5), st.integers(), st.none()),
    "deny": st.one_of(st.lists(st.one_of(st.text(max_size=20), st.integers()), max_size=4), st.binary(max_size=5)),
    "builtin": st.one_of(st.sampled_from([*BUILTIN_NAMES, None]), st.text(max_size=8), st.integers()),
    "cache_size": st.one_of(st.integers(-5, 100_000), st.booleans(), st.floats(), st.text(max_size=3)),
    "match_timeout": st.one_of(st.floats(allow_nan=True), st.integers(-2, 20), st.text(max_size=3)),
    "monitor": st.one_of(st.booleans(), st.integers(0, 2), st.text(max_size=3)),
    "missing_ua": st.one_of(st.sampled_from(["allow", "block"]), st.text(max_size=6)),
    "duplicate_ua": st.one_of(st.sampled_from(["reject", "first"]), st.text(max_size=6)),
    "block_status": st.one_of(st.integers(0, 1000), st.text(max_size=3)),
    "block_body": st.one_of(st.text(max_size=30), st.integers()),
    "verdict_header": st.one_of(st.none(), st.text(max_size=12)),
    "retry_after": st.one_of(st.none(), st.integers(-3, 10**6), st.floats()),
    "whitelist": st.lists(st.text(max_size=10), max_size=3),
    "nonsense": st.integers(),
    "allow_categories": st.one_of(st.lists(st.sampled_from(["monitor", "search", "probe", "nonsense"]), max_size=3), st.text(max_size=6)),
    "match_budget": st.one_of(st.floats(allow_nan=True), st.integers(-2, 5), st.text(max_size=3)),
    "empty_ua": st.one_of(st.sampled_from(["allow", "block"]), st.text(max_size=6)),
    "long_ua": st.one_of(st.sampled_from(["judge", "block", "truncate"]), st.text(max_size=6)),
    "block_content_type": st.one_of(st.text(max_size=20), st.integers()),
    "verify": st.one_of(st.lists(st.sampled_from(["google", "bing", "applebot", "nobody"]), max_size=3), st.text(max_size=6)),
    "verified_crawlers": st.one_of(st.none(), st.dictionaries(st.text(max_size=6), st.text(max_size=6), max_size=2)),
    "crawler_ranges": st.one_of(st.none(), st.dictionaries(st.text(max_size=6), st.lists(st.text(max_size=18), max_size=2), max_size=2)),
    "trusted_proxies": st.one_of(st.lists(st.sampled_from(["10.0.0.0/8", "::1", "nonsense", "300.1.1.1"]), max_size=3), st.text(max_size=6)),
    "forwarded_header": st.one_of(st.sampled_from(["x-forwarded-for", "forwarded"]), st.text(max_size=8), st.integers()),
    "verify_timeout": st.one_of(st.floats(allow_nan=True), st.integers(-2, 5), st.text(max_size=3)),
    "verified_ttl": st.one_of(st.floats(allow_nan=True), st.integers(-2, 10**6)),
    "refuted_ttl": st.one_of(st.floats(allow_nan=True), st.integers(-2, 10**6)),
    "failed_ttl": st.one_of(st.floats(allow_nan=True), st.integers(-2, 10**6)),
    "verify_cache_size": st.one_of(st.integers(-5, 100_000), st.booleans(), st.text(max_size=3)),
    "verify_max_waiting": st.one_of(st.integers(-5, 100), st.booleans(), st.floats()),
    "check_headers": st.one_of(st.booleans(), st.integers(0, 2), st.text(max_size=3)),
}


@given(st.dictionaries(st.sampled_from(sorted(field_values)), st.none()).flatmap(
    lambda keys: st.fixed_dictionaries({k: field_values[k] for k in keys})
))
@settings(max_examples=400, deadline=None)
def test_random_config_mappings_give_a_config_or_a_config_error(mapping: dict[str, Any]) -> None:
    try:
        config = Config.from_mapping(mapping)
    except ConfigError as exc:
        assert str(exc)
    else:
        assert classify("Mozilla/5.0 fuzz", config) in Verdict
