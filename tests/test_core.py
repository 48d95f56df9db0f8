"""The core contract: decision order, Kong's spec cases, normalisation, caching, bad config."""

from __future__ import annotations

import gc

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import botguard
from botguard import Config, ConfigError, Verdict, cache_info, classify, explain
from botguard._patterns import MAX_UA_CHARS, normalize_user_agent
from tests.support.agents import CHROME as CHROME_120
from tests.support.agents import GOOGLEBOT

CHROME = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_2) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/47.0.2526.106 Safari/537.36"
)
FACEBOOK = "facebookexternalhit/1.1"


def test_public_api_is_pinned() -> None:
    assert sorted(botguard.__all__) == sorted(
        [
            "BotGuardMiddleware",
            "BotGuardWSGIMiddleware",
            "CRAWLERS",
            "CacheInfo",
            "Config",
            "ConfigError",
            "Crawler",
            "ConfigLoader",
            "Explanation",
            "Resolver",
            "Rule",
            "Verdict",
            "cache_info",
            "classify",
            "explain",
            "stats",
        ]
    )


def test_public_names_claim_the_package_as_their_module() -> None:
    # What reprs and tracebacks show is what users import: botguard.Config, not botguard._config.Config.
    callables = {name: getattr(botguard, name) for name in botguard.__all__ if callable(getattr(botguard, name))}
    assert sorted(callables) == sorted(set(botguard.__all__) - {"CRAWLERS"})
    assert {name: obj.__module__ for name, obj in callables.items()} == {name: "botguard" for name in callables}
    assert repr(botguard.Config).startswith("<class 'botguard.Config'>")


def test_the_version_is_the_installed_package_metadata() -> None:
    from importlib.metadata import version

    assert botguard.__version__ == version("botguard")


def test_verdict_codes_are_kongs() -> None:
    assert [(v.name, int(v)) for v in Verdict] == [("NONE", 0), ("ALLOW", 1), ("DENY", 2), ("BOT", 3), ("SPOOFED", 4), ("FORGED", 5)]
    assert [v for v in Verdict if v.blocked] == [Verdict.DENY, Verdict.BOT, Verdict.SPOOFED, Verdict.FORGED]
    assert not Verdict.NONE  # falsy: caches must test `is None`


# Kong's own spec cases for bot-detection (spec/03-plugins/19-bot-detection), as a table.
KONG_CASES = [
    ({}, CHROME, Verdict.NONE),
    ({}, "HelloWorld", Verdict.NONE),
    ({}, "curl/7.43.0", Verdict.NONE),
    ({}, GOOGLEBOT, Verdict.BOT),
    ({}, FACEBOOK, Verdict.BOT),
    ({"deny": ["helloworld"]}, "helloworld", Verdict.DENY),
    ({"deny": ["helloworld"]}, "HelloWorld", Verdict.NONE),  # case-sensitive unless (?i)
    ({"deny": ["(?i)helloworld"]}, "HelloWorld", Verdict.DENY),
    ({"deny": ["curl/7.43.0"]}, "curl/7.43.0", Verdict.DENY),
    ({"allow": ["facebookexternalhit/1.1"]}, FACEBOOK, Verdict.ALLOW),
    ({"allow": ["facebookexternalhit/1.1"]}, GOOGLEBOT, Verdict.BOT),  # allow is not exclusive
    ({"allow": ["facebookexternalhit/1.1"]}, CHROME, Verdict.NONE),
    ({"allow": ["helloworld"], "deny": ["helloworld"]}, "helloworld", Verdict.ALLOW),  # allow beats deny
    ({"deny": ["Chrome"]}, CHROME, Verdict.DENY),  # deny beats nothing-matched
    ({"allow": ["Googlebot"]}, GOOGLEBOT, Verdict.ALLOW),  # allow beats the built-in list
    ({"deny": [r"^helloworld$"]}, "  helloworld\t", Verdict.DENY),  # ASCII whitespace stripped
    ({"deny": ["world"]}, "hello world !", Verdict.DENY),  # unanchored search
]


# Rows the default list legitimately decides otherwise: it names HTTP libraries (category
# "library"), which Kong's list leaves alone; `allow_categories=("library",)` admits them again.
# And it weighs a bare name with no version ("HelloWorld") as a script's: people's software
# names its version.
DEFAULT_DIFFERS = {
    ("{}", "curl/7.43.0"): Verdict.BOT,
    ("{}", "HelloWorld"): Verdict.BOT,
    ("{'deny': ['helloworld']}", "HelloWorld"): Verdict.BOT,  # the deny rule misses (case), the detector does not
}


@pytest.mark.parametrize("builtin", ["kong", "default"])
@pytest.mark.parametrize(("fields", "user_agent", "expected"), KONG_CASES)
def test_kong_spec_table(builtin: str, fields: dict[str, list[str]], user_agent: str, expected: Verdict) -> None:
    if builtin == "default":
        expected = DEFAULT_DIFFERS.get((repr(fields), user_agent), expected)
    config = Config(builtin=builtin, **fields)  # type: ignore[arg-type]
    assert classify(user_agent, config) is expected
    assert classify(user_agent.encode(), config) is expected
    assert explain(user_agent, config).verdict is expected


def test_no_builtin_list_means_only_user_rules() -> None:
    assert classify(GOOGLEBOT, Config(builtin=None)) is Verdict.NONE
    assert classify(GOOGLEBOT, Config(builtin=None, deny=["Googlebot"])) is Verdict.DENY


def test_missing_and_empty_user_agent_pass_by_default() -> None:
    assert classify(None) is Verdict.NONE
    assert classify("") is Verdict.NONE
    assert classify("   ") is Verdict.NONE
    assert classify(b"") is Verdict.NONE


def test_explain_names_list_rule_and_source() -> None:
    config = Config(deny=["zzz", r"(?i)scrapy"])
    found = explain("Scrapy/2.11 (+https://scrapy.org)", config)
    assert (found.verdict, found.rule_list) == (Verdict.DENY, "deny")
    assert found.rule is not None and (found.rule.index, found.rule.pattern) == (1, r"(?i)scrapy")
    assert "deny[1]" in str(found)
    builtin = explain(GOOGLEBOT, Config(builtin="kong"))
    assert builtin.rule_list == "builtin" and builtin.rule is not None and builtin.rule.source == "kong/rules.lua"
    nothing = explain(CHROME, Config(builtin="kong"))
    assert nothing.rule is None and nothing.rule_list is None


def test_explanation_list_is_a_read_only_alias_of_rule_list() -> None:
    found = explain("Scrapy/2.11", Config(deny=[r"(?i)scrapy"]))
    assert found.list == found.rule_list == "deny"
    # The JSON view keeps its key.
    assert found.as_dict()["list"] == "deny"
    # Frozen: assigning raises (FrozenInstanceError, or TypeError on Pythons whose frozen slotted
    # dataclasses trip over their own `super()`), as for every field.
    with pytest.raises((AttributeError, TypeError)):
        found.list = "allow"  # type: ignore[misc]


# -- normalisation -----------------------------------------------------------------------------


def test_binary_header_reads_as_latin1() -> None:
    assert normalize_user_agent(b"\xff\xfeGooglebot/2.1") == "\xff\xfeGooglebot/2.1"
    assert classify(b"\xff\xfe" + GOOGLEBOT.encode(), Config(builtin="kong")) is Verdict.BOT


def test_utf8_header_reads_as_utf8() -> None:
    assert normalize_user_agent("Mozilla/5.0 (ünïcödé)".encode()) == "Mozilla/5.0 (ünïcödé)"


def test_regexes_read_the_first_1024_characters_and_names_count_anywhere() -> None:
    config = Config(builtin="kong", deny=[r"Firefox"])
    assert classify("x" * (MAX_UA_CHARS - 40) + " " + GOOGLEBOT, config) is Verdict.BOT
    # The built-in list's names are found past the cut (padding hides nothing, tests/test_long_ua.py)...
    assert classify("x" * MAX_UA_CHARS + " " + GOOGLEBOT, config) is Verdict.BOT
    # ...your own regexes read the first 1,024 characters only.
    assert classify("x" * (MAX_UA_CHARS - 40) + " Firefox", config) is Verdict.DENY
    assert classify("x" * MAX_UA_CHARS + " Firefox", config) is Verdict.NONE
    huge = b"Mozilla/5.0 " + b"A" * 65536
    assert len(normalize_user_agent(huge)) == MAX_UA_CHARS


def test_truncation_never_splits_a_utf8_character_into_latin1() -> None:
    text = "é" * 3000  # 6000 bytes, valid UTF-8
    assert normalize_user_agent(text.encode()) == "é" * MAX_UA_CHARS


@given(st.binary(max_size=6000))
@settings(max_examples=300, deadline=None)
def test_normalize_is_total_and_bounded(raw: bytes) -> None:
    text = normalize_user_agent(raw)
    assert len(text) <= MAX_UA_CHARS
    assert text == text.strip(" \t\n\v\f\r")
    assert classify(raw, Config(builtin="kong")) in Verdict


@given(st.text(max_size=300))
@settings(max_examples=200, deadline=None)
def test_str_and_utf8_bytes_agree(text: str) -> None:
    config = Config(builtin="kong", deny=["(?i)evil"])
    assert classify(text, config) is classify(text.encode("utf-8", "surrogatepass"), config) or not _encodable(text)


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# -- caching -----------------------------------------------------------------------------------


def test_every_verdict_is_cached_none_included() -> None:
    config = Config(builtin="kong")
    before = cache_info()
    for _ in range(5):
        assert classify(CHROME, config) is Verdict.NONE
        assert classify(GOOGLEBOT, config) is Verdict.BOT
    after = cache_info()
    assert after.misses - before.misses == 2
    assert after.hits - before.hits == 8


def test_every_verdict_is_cached_under_the_default_list_and_raw_bytes_too() -> None:
    # Raw header bytes, as the middleware passes them: a browser's exact string is answered from
    # its bytes, and stored at once while the cache has room.
    config = Config()
    browser = CHROME_120.encode()
    before = cache_info()
    for _ in range(5):
        assert classify(browser, config) is Verdict.NONE
        assert classify(GOOGLEBOT.encode(), config) is Verdict.BOT
    after = cache_info()
    assert (after.misses - before.misses, after.hits - before.hits, after.entries - before.entries) == (2, 8, 2)


def test_the_middleware_takes_its_app_by_position_or_by_name() -> None:
    async def inner(scope: object, receive: object, send: object) -> None:
        pass

    assert botguard.BotGuardMiddleware(app=inner, deny=["x"]).app is inner
    assert botguard.BotGuardMiddleware(inner).app is inner
    with pytest.raises(TypeError, match="needs the ASGI app"):
        botguard.BotGuardMiddleware()


def test_one_cache_per_live_config_released_with_it() -> None:
    gc.collect()
    base = cache_info().caches
    configs = [Config(builtin="kong") for _ in range(5)]
    for config in configs:
        classify(CHROME, config)
    assert cache_info().caches == base + 5
    # Equal content, different objects: separate caches (configs compare by identity).
    assert classify(CHROME, configs[0]) is Verdict.NONE
    del configs, config
    gc.collect()
    assert cache_info().caches == base


def test_cache_is_bounded_by_cache_size() -> None:
    config = Config(builtin="kong", cache_size=16)
    for i in range(100):
        classify(f"agent-{i}", config)
    entries = botguard._cache.verdict_cache(config)
    assert len(entries) == 16


def test_the_cache_evicts_the_least_recently_used_verdict() -> None:
    config = Config(builtin="kong", cache_size=2)
    entries = botguard._cache.verdict_cache(config)
    classify("agent-a", config)
    classify("agent-b", config)
    hits = cache_info().hits
    classify("agent-a", config)  # a hit: agent-a is now the most recently used
    assert cache_info().hits == hits + 1
    classify("agent-c", config)  # evicts agent-b, not agent-a
    assert list(entries) == ["agent-a", "agent-c"]
    classify("agent-b", config)  # a miss again
    assert cache_info().hits == hits + 1 and list(entries) == ["agent-c", "agent-b"]
    assert (entries.currsize, entries.maxsize) == (2, 2)


def test_config_is_frozen_hashable_by_identity_and_weakrefable() -> None:
    import weakref

    a, b = Config(deny=["x"]), Config(deny=["x"])
    assert a != b and a == a and hash(a) != hash(b) or a is not b
    assert weakref.ref(a)() is a
    assert a.deny == ("x",) and isinstance(a.allow, tuple)
    with pytest.raises(AttributeError):
        a.deny = ("y",)  # type: ignore[misc]


# -- bad configuration -------------------------------------------------------------------------


def test_bad_regex_names_field_index_and_pattern() -> None:
    with pytest.raises(ConfigError, match=r"^deny\[2\]: not a valid regex: '\(unclosed': "):
        Config(deny=["a", "b", "(unclosed"])
    with pytest.raises(ConfigError, match=r"^allow\[0\]: not a valid regex: '\[z-a\]'"):
        Config(allow=["[z-a]"])


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"deny": "scrapy"}, r"^deny: expected a list of regex strings, got str"),
        ({"allow": [1]}, r"^allow\[0\]: a pattern must be a string"),
        ({"builtin": "everything"}, r"^builtin: unknown rule set 'everything'"),
        ({"cache_size": 0}, r"^cache_size: "),
        ({"cache_size": True}, r"^cache_size: "),
        ({"missing_ua": "deny"}, r"^missing_ua: expected one of"),
        ({"duplicate_ua": "merge"}, r"^duplicate_ua: expected one of"),
        ({"block_status": 200}, r"^block_status: "),
        ({"block_content_type": "text/html\r\nX: y"}, r"^block_content_type: not a valid HTTP header value"),
        ({"verdict_header": "X Bot"}, r"^verdict_header: not a valid HTTP header name"),
        ({"match_timeout": 0}, r"^match_timeout: "),
        ({"on_block": "nope"}, r"^on_block: expected a callable"),
    ],
)
def test_bad_fields_are_config_errors(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Config(**fields)  # type: ignore[arg-type]


def test_a_misspelt_field_is_a_config_error_naming_the_field_meant() -> None:
    with pytest.raises(ConfigError, match=r"unknown field\(s\) \['denny'\] \(did you mean 'deny'\?\); valid fields: \["):
        Config(denny=["x"])  # type: ignore[call-arg]


def test_config_error_is_a_value_error() -> None:
    assert issubclass(ConfigError, ValueError)


def test_from_mapping_accepts_kong_aliases_and_rejects_unknown_keys() -> None:
    config = Config.from_mapping({"whitelist": ["good"], "blacklist": ["bad"], "builtin": "kong"})
    assert (config.allow, config.deny, config.builtin) == (("good",), ("bad",), "kong")
    with pytest.raises(ConfigError, match=r"unknown key\(s\) \['denny'\]"):
        Config.from_mapping({"denny": ["x"]})
    with pytest.raises(ConfigError, match="given twice"):
        Config.from_mapping({"deny": ["x"], "blacklist": ["y"]})
    with pytest.raises(ConfigError, match="on_block"):
        Config.from_mapping({"on_block": "x"})
    with pytest.raises(ConfigError, match="expected a table"):
        Config.from_mapping(["deny"])  # type: ignore[arg-type]


def test_catastrophic_pattern_is_bounded_by_match_timeout(caplog: pytest.LogCaptureFixture) -> None:
    # `regex` defuses textbook cases like (a+)+$; (a|a)*$ still backtracks exponentially.
    config = Config(deny=[r"(a|a)*$"], builtin=None, match_timeout=0.02)
    hostile = "a" * 40 + "!"
    assert classify(hostile, config) is Verdict.NONE  # gave up: counts as no match
    assert "gave up" in caplog.text


def test_harmless_patterns_never_time_out_under_thread_contention() -> None:
    # The regex timeout counts wall-clock time: threads waiting for the GIL must not make
    # `^curl/` give up (it would wrongly refuse an allowed client).
    from concurrent.futures import ThreadPoolExecutor

    config = Config(allow=[r"^curl/"], match_timeout=0.01)
    agents = [f"curl/{i} Googlebot/2.1" for i in range(3000)]
    with ThreadPoolExecutor(max_workers=16) as pool:
        verdicts = list(pool.map(lambda ua: explain(ua, config), agents))
    assert all(v.verdict is Verdict.ALLOW and not v.timed_out for v in verdicts)
