"""The built-in rule sets: Kong's exact list, the default list's sources and categories, the
literal-prefiltered engine against a plain regex search, allow_categories and explain."""

from __future__ import annotations

import functools
import json
import logging
import re
from importlib import resources
from pathlib import Path

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from botguard import Config, ConfigError, Verdict, classify, explain
from botguard._detector import Detector
from botguard._patterns import backtracking_risk
from botguard._list_engine import LiteralEngine
from botguard._regex_analysis import parsed_forms, plain_form
from botguard._rulesets import (
    CATEGORIES, Rule, builtin_ruleset, class_characters, default_rules, list_engine, literal_forms,
    rule_starts_anchored, top_level_branches,
)
from botguard.rules import botguard as own
from botguard.rules import kong, probes

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)


# -- Kong ----------------------------------------------------------------------------------------


def test_kong_is_the_fourteen_rules_of_kong_2_2_1() -> None:
    rules = builtin_ruleset("kong").rules
    assert len(rules) == 14 == len(kong.PATTERNS)
    assert [r.pattern for r in rules] == list(kong.PATTERNS)
    assert {r.source for r in rules} == {"kong/rules.lua"}
    # What PR #5772 added: the AWS S3 clients and WebPageTest, and Go/axios among the downloaders.
    assert any("JetS3t" in p for p in kong.PATTERNS) and any("PTST" in p for p in kong.PATTERNS)
    assert classify("aws-cli/2.15.0 Python/3.11.6 Linux/6.1", Config(builtin="kong")) is Verdict.BOT
    assert classify("Go-http-client/1.1", Config(builtin="kong")) is Verdict.BOT
    assert classify("curl/7.43.0", Config(builtin="kong")) is Verdict.NONE


def test_kong_rules_are_case_sensitive_like_pcre() -> None:
    assert classify("facebookexternalhit/1.1", Config(builtin="kong")) is Verdict.BOT
    assert classify("FACEBOOKEXTERNALHIT/1.1", Config(builtin="kong")) is Verdict.NONE


# -- the default list -----------------------------------------------------------------------------


def test_default_list_records_its_sources() -> None:
    for name in ("crawler_user_agents.json", "isbot.json", "crawlerdetect.json"):
        data = json.loads(resources.files("botguard.rules").joinpath(name).read_text("utf-8"))
        assert data["version"] and data["license"] in ("MIT", "Unlicense") and data["source"].startswith("https://")
    for name in ("LICENSE-crawler-user-agents.txt", "LICENSE-isbot.txt", "LICENSE-crawlerdetect.txt"):
        assert resources.files("botguard.rules").joinpath(name).read_text("utf-8").strip()
    rules = builtin_ruleset("default").rules
    assert {r.source for r in rules} == {"botguard", "crawler-user-agents", "isbot", "crawlerdetect"}
    assert [r.index for r in rules] == list(range(len(rules)))
    assert all(r.category in CATEGORIES for r in rules)


def test_refresh_writes_crawler_detects_patterns_with_both_licences(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("crawlerdetect", reason="the dev extra installs crawlerdetect")
    from botguard.rules import refresh

    monkeypatch.setattr(refresh, "HERE", tmp_path)
    refresh.main(["--skip-crawler-user-agents", "--skip-crawlerdetect"])
    assert list(tmp_path.iterdir()) == []  # both skipped, isbot not asked for: nothing written
    refresh.refresh_crawlerdetect()
    data = json.loads((tmp_path / "crawlerdetect.json").read_text("utf-8"))
    assert data["license"] == "MIT" and data["source"].startswith("https://github.com/JayBizzle/Crawler-Detect")
    assert len(data["patterns"]) > 1000 and all(isinstance(p, str) and p for p in data["patterns"])
    licence = (tmp_path / "LICENSE-crawlerdetect.txt").read_text("utf-8")
    assert "Mark Beech" in licence and licence.count("MIT License") == 2


def test_every_default_rule_compiles() -> None:
    rules = builtin_ruleset("default").rules
    engine = list_engine(rules)
    # Each regex compiles on first use; compile them all now, with the flags the engine uses.
    for index in engine._patterns:
        engine._regex(index)
    for rule in rules:
        if rule.category == "probe":
            regex.compile(rule.pattern, regex.IGNORECASE)


@pytest.mark.parametrize(
    ("user_agent", "category"),
    [
        ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "search"),
        ("Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)", "ai"),
        ("Mozilla/5.0 (compatible; ClaudeBot/1.0; +claudebot@anthropic.com)", "ai"),
        ("curl/8.4.0", "library"),
        ("python-requests/2.31.0", "library"),
        ("Go-http-client/2.0", "library"),
        ("Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)", "seo"),
        ("Mozilla/5.0 (compatible; PetalBot;+https://webmaster.petalsearch.com/site/petalbot)", "search"),
        ("facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)", "preview"),
        ("Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)", "preview"),
        ("Pingdom.com_bot_version_1.4_(http://www.pingdom.com/)", "monitor"),
        ("Mozilla/5.0 (compatible; SomeNewCrawler/0.1; +https://example.org/crawler)", "other"),
    ],
)
def test_default_names_bots_and_their_categories(user_agent: str, category: str) -> None:
    found = explain(user_agent)
    assert found.verdict is Verdict.BOT and found.rule_list == "builtin"
    assert found.category == category, found


@pytest.mark.parametrize(
    "user_agent",
    [
        CHROME,
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.1 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
        # Exclusions: in-app browsers and phone models that the bot words would catch.
        "Mozilla/5.0 (Linux; Android 9; CUBOT_X19 Build/PPR1.180610.011) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/120.0.6099.43 Mobile Safari/537.36",
        "Mozilla/5.0 (Linux; Android 13; Pixel 7 Build/TQ3A.230901.001; wv) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Version/4.0 Chrome/120.0.6099.43 Mobile Safari/537.36 GSA/14.45.27.29.arm64",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Mobile/15E148 NAVER(inapp; search; 2000; 12.0.1)",
        "Mozilla/5.0 (Linux; Android 12; SM-A515F Build/SP1A.210812.016; wv) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Version/4.0 Chrome/120.0.6099.43 Mobile Safari/537.36 musical_ly_2023109030 JsSdk/1.0",
        # Apps that name themselves by their bundle identifier, whatever words it holds.
        "com.google.android.youtube/18.45.41 (Linux; U; Android 13; de_DE; SM-A536B Build/TP1A.220624.014) gzip",
        "com.google.ios.youtube/18.45.2 (iPhone14,2; U; CPU iOS 17_1 like Mac OS X; de_DE)",
        "com.google.GoogleMobile/290.0 iPhone/17.1 hw/iPhone14_2",
        # A browser add-on writing an ordinary word isbot lists ("download") stays a person.
        "Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 6.1; Trident/7.0; GWX:DOWNLOADED)",
        # Much of a site's audience outside the browsers' exact formats: in-app browsers of social
        # and messaging apps, desktop apps built on Electron, TVs and consoles, players and radios.
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 "
        "[FBAN/FBIOS;FBAV/470.0.0.43.108;FBBV/613836476;FBDV/iPhone14,5;FBMD/iPhone;FBSN/iOS;FBSV/17.5;FBSS/3;FBCR/;"
        "FBID/phone;FBLC/en_US;FBOP/80]",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 "
        "Instagram 330.0.2.29.110 (iPhone15,3; iOS 17_4_1; en_US; en; scale=3.00; 1290x2796; 597455123)",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 "
        "Snapchat/12.90.0.46 (like Safari/8615.3.12.10.2, panda)",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 "
        "MicroMessenger/8.0.44(0x18002c2d) NetType/WIFI Language/zh_CN",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 16_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 "
        "KAKAOTALK 10.2.5",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) discord/1.0.9147 "
        "Chrome/120.0.6099.291 Electron/28.2.10 Safari/537.36",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Code/1.90.0 "
        "Chrome/122.0.6261.156 Electron/29.4.0 Safari/537.36",
        "Mozilla/5.0 (SMART-TV; Linux; Tizen 6.0) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/4.0 "
        "Chrome/76.0.3809.146 TV Safari/537.36",
        "Mozilla/5.0 (PlayStation; PlayStation 5/6.50) AppleWebKit/605.1.15 (KHTML, like Gecko)",
        "Mozilla/5.0 (Linux; Android 9; KFTRWI) AppleWebKit/537.36 (KHTML, like Gecko) Silk/124.2.4 like "
        "Chrome/124.0.6367.179 Safari/537.36",
        "Roku/DVP-12.5 (12.5.0.4178-46)",
        "AppleCoreMedia/1.0.0.21F79 (iPhone; U; CPU OS 17_5 like Mac OS X; en_us)",
        "Podcasts/1575.1.1 CFNetwork/1496.0.7 Darwin/23.5.0",
        "Spotify/8.9.42 iOS/17.5 (iPhone15,2)",
        "VLC/3.0.20 LibVLC/3.0.20",
        "TuneIn Radio/30.3; iPhone15,2; iOS/17.5",
    ],
)
def test_default_lets_people_through(user_agent: str) -> None:
    assert explain(user_agent).verdict is Verdict.NONE, explain(user_agent)


def test_an_exclusion_hides_only_its_token() -> None:
    # The model slot is blanked, but a bot naming itself elsewhere is still a bot.
    hybrid = (
        "Mozilla/5.0 (Linux; Android 6.0.1; CUBOT Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/120.0 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
    )
    assert explain(hybrid).category == "search"


def test_case_of_crawler_user_agents_patterns_is_kept() -> None:
    # "Sonic" is a bot in crawler-user-agents; "Panasonic" in a phone name is not.
    phone = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Panasonic/1.0 Safari/537.36"
    assert explain(phone).verdict is Verdict.NONE


# -- the engine against a plain search ------------------------------------------------------------

_PIECES = ["bot", "Bot", "crawl", "GoogleBot/", "spider", "curl/", "^", "wget", "Mozilla/5.0 ", "(", ")", ";", " ", "/1.0",
           "x", "ABC", "fetch", "é", "sentry/", "YandexBot", "http://", "a", "1", "<", "::", "a::b/", "-", ".",
           "compatible;", "Mozilla/5.0 (", "msie 6.0", "2.1)"]
_PATTERNS = [r"googlebot/", r"^curl/", r"[wW]get", r"(sistrix|SISTRIX) [cC]rawler", r"(?<! cu)bots?(?:\b|_)",
             r"spider$", r"^abc$", r"\bfetch\b", r"(^| )sentry\/", r"yandex(?:bot|images)", r"x{2,}1", r"^[^ ]{12,}$",
             r"crawl", r"é", r"^[<\(;]", r";\s\w+;$", r"\bcurl/|^[a-z]+(?:::[a-z]+)+/",
             # isbot's, written for JavaScript: `re` reads `[\w\d-.]` only once its hyphen is escaped.
             r"^mozilla/\d\.\d\s\((?:compatible;)?(?:\s?[\w\d-.]+[\s/]\d+\.\d+)?\)$"]


@given(st.lists(st.sampled_from(_PIECES), max_size=12).map("".join), st.permutations(_PATTERNS))
@settings(max_examples=400, deadline=None)
def test_engine_finds_the_same_first_rule_as_a_plain_search(text: str, patterns: list[str]) -> None:
    rules = [Rule(pattern=p, index=i, source="t", category="other") for i, p in enumerate(patterns)]
    engine = LiteralEngine(rules, ())
    expected = next((r for r in rules if regex.search(r.pattern, text.lower(), regex.IGNORECASE)), None)
    assert engine(text) == expected


def test_a_javascript_set_runs_among_the_anchored_patterns() -> None:
    # isbot's `[\w\d-.]` joins the one-pass alternation of anchored patterns, rewritten for `re`,
    # and the engine still finds what `regex` finds.
    rules = [Rule(pattern=p, index=i, source="t", category="other") for i, p in enumerate(_PATTERNS)]
    engine = LiteralEngine(rules, ())
    assert len(rules) - 1 in engine._anchored
    for text in ("Mozilla/4.0 (compatible; MSIE 6.0)", "Mozilla/5.0 (x-y.z/2.1)", "Mozilla/5.0 (Windows NT 10.0)"):
        expected = next((r for r in rules if regex.search(r.pattern, text.lower(), regex.IGNORECASE)), None)
        assert engine(text) == expected


@given(st.lists(st.sampled_from(_PIECES), max_size=12).map("".join), st.permutations(_PATTERNS))
@settings(max_examples=200, deadline=None)
def test_gate_literals_change_no_rule(text: str, patterns: list[str]) -> None:
    rules = [Rule(pattern=p, index=i, source="t", category="other") for i, p in enumerate(patterns)]
    # Gate literals that are also rules' literals, prefixes and suffixes of them, or one character.
    gate = ("bot", "bo", "ot", "crawl", "é", ";", "<", "x", "curl/", "::", "^")
    engine = LiteralEngine(rules, ())
    rule, gated = LiteralEngine(rules, (), gate=gate).search_gated(text)
    assert rule == engine(text)
    assert gated == any(literal in text.lower() for literal in gate)


# Gate characters and words, their near misses, and letters whose lower case changes length or
# lands on ASCII ("İ", the Kelvin sign, the long s).
_GATE_PIECES = [
    *"'\"$<>{}`|\\!*%=+.;/-", "..", "/etc/", "etc/", ".ini", "ini", "select", "SELECT", "selec", "sleep", "ſleep",
    "union", "UNION", "jndi", "JNDI", "waitfor", "WaitFor", "ORDER BY", "order  by", "--", "&&", "&", "JavaScript:",
    "alert(", "alert (", "elt(", "Delt", "İ", "\u212a", "ß", "Mozilla/5.0 ", "curl/8", " ", "x",
]


@given(st.one_of(st.lists(st.sampled_from(_GATE_PIECES), max_size=10).map("".join), st.text(max_size=60)))
@settings(max_examples=500, deadline=None)
def test_the_engine_sees_the_probe_gate_exactly(text: str) -> None:
    detect = builtin_ruleset("default")._search
    assert isinstance(detect, Detector)
    low = text.lower()
    # The gate as the detector ran it before the engine took it over.
    old_gate = re.search(probes.GATE, low) is not None or any(word in low for word in probes.GATE_WORDS)
    # The detector's engine: the gate as it was, and the rule an engine without the gate finds.
    assert detect._search_gated(text) == (_engine_without_gate()(text), old_gate)


@functools.cache
def _engine_without_gate() -> LiteralEngine:
    return list_engine(builtin_ruleset("default").rules)


def test_class_characters() -> None:
    assert class_characters(probes.GATE) == tuple("'\"$<>{}`|\\!*%=+")
    assert class_characters(r"[\-\]a]") == ("-", "]", "a")
    for pattern in (r"[a-z]", r"[^a]", r"[\d]", r"[ab]c", r"a", r"[]"):
        with pytest.raises(ValueError, match="not a class of plain characters"):
            class_characters(pattern)


def test_literal_forms() -> None:
    assert literal_forms(r"[wW]get").literals == ("wget",)
    assert literal_forms(r"^curl").kind == "prefix"
    assert literal_forms(r"spider$").kind == "suffix"
    assert literal_forms(r"(sistrix|SISTRIX) [cC]rawler") == literal_forms("sistrix crawler")
    form = literal_forms(r"(?<! cu)bots?(?:\b|_)")
    assert form.kind == "regex" and form.literals == ("bot",)
    # Escapes are read, never lower-cased as text: \S stays "not a space".
    assert literal_forms(r"Spider\Sbot").kind == "regex"
    assert literal_forms(r"a\.b").literals == ("a.b",)


def test_a_plain_literal_is_read_as_the_parser_reads_it() -> None:
    # Nine in ten built-in patterns take the short way; every one agrees with the parse tree.
    patterns = [r.pattern for r in default_rules()] + [pattern for pattern, _ in kong.RULES]
    plain = [(p, plain_form(p)) for p in patterns]
    assert sum(form is not None for _, form in plain) > 0.8 * len(patterns)
    assert [p for p, form in plain if form is not None and form != parsed_forms(p)] == []


@given(
    st.tuples(
        st.sampled_from(["", "^"]),
        st.lists(st.sampled_from([*"aZ9 -/_;:,'=@%!~#&", *(f"\\{c}" for c in "./-+*?()[]{}|^$\\ #")]), min_size=1, max_size=8),
        st.sampled_from(["", "$"]),
    ).map(lambda parts: parts[0] + "".join(parts[1]) + parts[2])
)
def test_plain_form_agrees_with_the_parse_tree(pattern: str) -> None:
    form = plain_form(pattern)
    assert form is not None and form == parsed_forms(pattern)


def test_top_level_branches() -> None:
    assert top_level_branches(r"a|b(c|d)|[|]x|\|y") == ["a", "b(c|d)", "[|]x", r"\|y"]
    assert top_level_branches("abc") == ["abc"]
    assert rule_starts_anchored(r"^a(b|c)") and not rule_starts_anchored(r"^a|b") and not rule_starts_anchored("a")


# -- allow_categories -----------------------------------------------------------------------------


def test_allow_categories_admits_libraries_but_not_ai_crawlers() -> None:
    api = Config(builtin="default", allow_categories=("library", "monitor"))
    assert classify("curl/8.4.0", api) is Verdict.NONE
    assert classify("python-requests/2.31.0", api) is Verdict.NONE
    assert classify("Mozilla/5.0 (compatible; GPTBot/1.2; +https://openai.com/gptbot)", api) is Verdict.BOT
    found = explain("curl/8.4.0", api)
    assert (found.verdict, found.rule_list, found.category) == (Verdict.NONE, "allow_categories", "library")
    assert "admitted by allow_categories" in str(found)
    # deny still applies: an admitted category is not an allow rule.
    assert classify("curl/8.4.0", Config(allow_categories=("library",), deny=["^curl/"])) is Verdict.DENY


# The default User-Agents of infrastructure a site runs itself, as each project documents it.
HEALTH_CHECKS = [
    "ELB-HealthChecker/2.0",
    "GoogleHC/1.0",
    "kube-probe/1.28",
    "Consul Health Check",
    "Prometheus/2.48.0",
    "Grafana/10.2.2",
    "check_http/v2.3.3 (monitoring-plugins 2.3.3)",
]


@pytest.mark.parametrize("user_agent", HEALTH_CHECKS)
def test_health_checks_are_monitors_that_allow_categories_admits(user_agent: str) -> None:
    found = explain(user_agent)
    assert (found.verdict, found.category) == (Verdict.BOT, "monitor"), found
    assert classify(user_agent, Config(allow_categories=("monitor",))) is Verdict.NONE


@pytest.mark.parametrize(
    "user_agent",
    [
        "Ruby",  # Net::HTTP
        "http.rb/5.0.4",
        "hackney/1.20.1",
        "Typhoeus - https://github.com/typhoeus/typhoeus",
        "Finch",
        "Jersey/2.40 (HttpUrlConnection 17.0.9)",
        "Apache-CXF/3.5.5",
        "ReactorNetty/1.1.13",
        "AHC/2.1",
        "RestSharp/110.2.0.0",
        "grpc-go/1.59.0",
        "PycURL/7.45.2 libcurl/8.4.0",
        "Symfony HttpClient/Curl",
        "Deno/1.38.4",
        "Bun/1.0.14",
        "Boto3/1.33.1 md/Botocore#1.33.1 ua/2.0 os/linux#5.10 lang/python#3.11.6",
        "aws-sdk-go/1.48.4 (go1.21.4; linux; amd64)",
        "azsdk-python-storage-blob/12.19.0 Python/3.11.6 (Linux-5.15-x86_64-with-glibc2.35)",
        "Microsoft-CryptoAPI/10.0",
        "hey/0.0.1",
        "oha/1.4.5",
        "xh/0.22.0",
        "bruno-runtime/1.20.0",
    ],
)
def test_http_clients_default_names_are_libraries(user_agent: str) -> None:
    found = explain(user_agent)
    assert (found.verdict, found.category) == (Verdict.BOT, "library"), found


@pytest.mark.parametrize(
    "user_agent",
    [
        # the same names where they are not a client's whole default string
        "Mozilla/5.0 (X11; Linux Mint 21; rv:120.0) Gecko/20100101 Firefox/120.0",
        "IBrowse/2.5.5 (Amiga; MorphOS 3.16; Build 25.99 68K)",
        "Mozilla/5.0 (Linux; Android 13; SM-A536B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Mobile Safari/537.36",
    ],
)
def test_client_names_do_not_reach_into_peoples_strings(user_agent: str) -> None:
    assert classify(user_agent) is Verdict.NONE


def test_okhttp_is_named_for_certain_only_as_the_whole_default_string() -> None:
    # OkHttp's default, and a script's name before it, are still bots; an Android app that names
    # itself and its device before OkHttp's token is weighed like any other string.
    bare = explain("okhttp/4.12.0")
    assert bare.rule is not None and bare.rule.source == "botguard" and bare.rule.pattern.startswith("^okhttp/")
    assert classify("MyCrawler/1.0 okhttp/4.9.0") is Verdict.BOT
    app = "Zotuje/22.15.6 (Linux; U; Android 14; SM-A546B Build/UP1A.231005.007) okhttp/4.12.0"
    found = explain(app)
    assert found.verdict is Verdict.NONE and found.outweighed is not None, found


def test_admitting_search_admits_search_engines_only() -> None:
    search = Config(allow_categories=("search",))
    assert classify("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", search) is Verdict.NONE
    assert classify("Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", search) is Verdict.NONE
    # Code hosted on Google's cloud, and tools that only mention Google, are not its search engine.
    for user_agent in (
        "Mozilla/5.0 (Windows NT 6.1; rv:52.0) Gecko/20100101 Firefox/52.0 AppEngine-Google; "
        "(+http://code.google.com/appengine; appid: s~some-proxy)",
        "Mozilla/5.0 (compatible; StreamScraper/1.0; +http://code.google.com/p/streamscraper/)",
        "Google-Cloud-Scheduler",
    ):
        found = explain(user_agent, search)
        assert found.verdict is Verdict.BOT and found.category != "search", found


def test_allow_categories_works_with_kong_too() -> None:
    assert classify("Go-http-client/1.1", Config(builtin="kong", allow_categories=["library"])) is Verdict.NONE


def test_allow_categories_is_validated() -> None:
    with pytest.raises(ConfigError, match=r"^allow_categories: unknown category 'libary'"):
        Config(allow_categories=("libary",))
    with pytest.raises(ConfigError, match=r"^allow_categories: expected a list"):
        Config(allow_categories="library")  # type: ignore[arg-type]
    assert Config.from_mapping({"allow_categories": ["ai", "seo"]}).allow_categories == ("ai", "seo")


def test_explanation_as_dict() -> None:
    found = explain("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)").as_dict()
    assert found["verdict"] == "BOT" and found["blocked"] is True and found["category"] == "search"
    assert found["source"] == "crawler-user-agents" and isinstance(found["index"], int) and found["pattern"]
    assert explain(CHROME).as_dict()["pattern"] is None


# -- backtracking warning -------------------------------------------------------------------------


@pytest.mark.parametrize("pattern", [r"(a+)+$", r"(a|a)*$", r"(a|ab)*c", r"(\w+\s?)*$"])
def test_backtracking_patterns_are_warned_about(pattern: str, caplog: pytest.LogCaptureFixture) -> None:
    assert backtracking_risk(pattern) is not None
    with caplog.at_level(logging.WARNING, logger="botguard"):
        Config(deny=[pattern], builtin=None)
    assert "may backtrack" in caplog.text and "deny[0]" in caplog.text


@pytest.mark.parametrize("pattern", [r"(?i)scrapy", r"^curl/", r"(foo|bar)+", r"\d+\.\d+", r"(?:ab|cd)*"])
def test_ordinary_patterns_are_not_warned_about(pattern: str) -> None:
    assert backtracking_risk(pattern) is None


def test_rule_sets_are_built_once_and_shared() -> None:
    assert Config()._builtin is Config()._builtin is builtin_ruleset("default")
    assert len(own.NAMED) and len(own.GENERIC) and len(own.EXCLUSIONS)


# -- Kong's list: the prefiltered sequential search against Kong's plain one ----------------------

_KONG_PIECES = ["Mozilla/5.0 ", "(compatible; ", "Googlebot", "/2.1", "Bot", "bot", "spider", "Spider", "crawl",
                "Crawler", "archiver", "Indexer", "scraper", "curl/7.43.0", " PTST/1.0", "facebookexternalhit/1.1",
                "Pingdom.com_bot_version_1.4", "okhttp/4.9", "boto3/1.2.3", "CUBOT", "MSIE 6.0; ", " MSIECrawler",
                "/", " ", ";", ")", "x", "1", "the "]


@given(st.lists(st.sampled_from(_KONG_PIECES), max_size=10).map("".join))
@settings(max_examples=500, deadline=None)
def test_kong_engine_finds_kongs_first_rule(text: str) -> None:
    expected = next((i for i, (p, _) in enumerate(kong.RULES) if regex.search(p, text, regex.ASCII)), None)
    found = builtin_ruleset("kong").search(text)
    assert (None if found is None else found.index) == expected
