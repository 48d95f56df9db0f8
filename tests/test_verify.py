"""Verified crawlers: claims, forward-confirmed reverse DNS, the per-address cache, trusted proxies."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from botguard import CRAWLERS, BotGuardMiddleware, Config, ConfigError, Crawler, Verdict, classify, explain
from botguard._guard import Guard
from botguard._request import Request, environ_request
from botguard.verify import IPNetwork, SystemResolver, Verifier, client_ip, load_ranges_file, parse_ip
from botguard.verify.address import MAX_HOPS
from botguard.verify.ranges import RangeSet
from botguard.verify.verifier import CONFIRMED, FAILED, REFUTED

from tests.support.asgi_harness import Result, http_scope, ok_app, run, ua_headers
from tests.support.servers import ipv6_loopback_works, serve_uvicorn

from tests.support.agents import GOOGLEBOT_COMPATIBLE as GOOGLEBOT, BINGBOT, CHROME
from tests.support.dns import BING_IP, GOOGLE_IP, GOOGLE_NAME, NoDNS, StubResolver


def request(app: Any, ua: str | bytes, ip: str | None = "127.0.0.1", headers: Sequence[tuple[bytes, bytes]] = ()) -> Result:
    scope = http_scope([*ua_headers(ua), *headers])
    scope["client"] = None if ip is None else (ip, 50000)
    return run(app, scope)


async def request_async(app: Any, ua: str, ip: str) -> int:
    """One request on the running loop (for concurrent bursts); its status."""
    scope = http_scope(ua_headers(ua))
    scope["client"] = (ip, 50000)
    status: list[int] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])

    await app(scope, receive, send)
    return status[0]


# -- the decision, by User-Agent alone ------------------------------------------------------------


def test_a_claim_is_spoofed_until_a_request_proves_it() -> None:
    config = Config(verify=("google", "bing"))
    assert classify(GOOGLEBOT, config) is Verdict.SPOOFED
    found = explain(BINGBOT, config)
    assert (found.verdict, found.rule_list, found.crawler) == (Verdict.SPOOFED, "verify", "bing")
    assert found.rule is not None and found.rule.index == 1 and found.rule.category == "search"
    assert "claims to be bing" in str(found)
    assert Verdict.SPOOFED.blocked and int(Verdict.SPOOFED) == 4


@pytest.mark.parametrize(
    "ua",
    ["googlebot/2.1", "GOOGLEBOT", "Mozilla/5.0 (Linux; Android 6.0.1) Chrome/120 Mobile (compatible; Googlebot/2.1)",
     "AdsBot-Google (+http://www.google.com/adsbot.html)", "Googlebot-Image/1.0", "GoogleOther", "Storebot-Google/1.0"],
)
def test_google_claims_in_any_case(ua: str) -> None:
    assert explain(ua, Config(verify=("google",))).crawler == "google"


def test_order_allow_list_still_verifies_deny_needs_no_dns_builtin_blocks_the_rest() -> None:
    config = Config(verify=("google",), allow=[r"(?i)googlebot", r"^curl/"], deny=[r"(?i)bingbot", r"(?i)scrapy"])
    assert classify(GOOGLEBOT, config) is Verdict.SPOOFED  # allow-listed, still a claim to prove
    assert classify("curl/8.4", config) is Verdict.ALLOW  # allow-listed, claims nothing
    assert classify(BINGBOT, config) is Verdict.DENY  # denied: not verified, not looked up
    assert classify("Scrapy/2.11", config) is Verdict.DENY
    assert classify("facebookexternalhit/1.1", config) is Verdict.BOT  # not in verify: the built-in list
    assert classify(CHROME, config) is Verdict.NONE


def test_a_crawler_not_in_verify_is_judged_as_before() -> None:
    assert classify(GOOGLEBOT, Config(verify=("bing",))) is Verdict.BOT
    assert classify(GOOGLEBOT, Config(verify=("bing",), builtin=None)) is Verdict.NONE


ALL_DNS = tuple(n for n in CRAWLERS if CRAWLERS[n].domains)
# Built once: building a config starts its lookup threads.
WITH = Config(verify=ALL_DNS, resolver=NoDNS())
WITHOUT = Config()


@given(ua=st.text(max_size=120))
@settings(max_examples=200, deadline=None)
def test_requests_that_claim_nothing_get_the_same_verdict_and_no_lookup(ua: str) -> None:
    # Judged in the test, not in a strategy's filter: hypothesis fails a strategy during which the
    # global `random` moves, and another thread of the test process may move it meanwhile.
    assume(explain(ua, WITH).crawler is None)
    assert classify(ua, WITH) is classify(ua, WITHOUT)
    result = request(BotGuardMiddleware(ok_app, config=WITH), ua.encode("utf-8"))
    assert result.status in (200, 403)


def test_browsers_never_touch_the_resolver() -> None:
    app = BotGuardMiddleware(ok_app, verify=ALL_DNS, resolver=NoDNS(), allow_categories=("library",))
    for ua in (CHROME, "", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) YaBrowser/24.1 YaApp_iOS/1.0", "curl/8.4"):
        result = request(app, ua)
        assert result.status == 200 and result.scope["state"]["botguard"] is Verdict.NONE


# -- configuration -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"verify": "google"}, r"^verify: expected a list"),
        ({"verify": ["altavista"]}, r"^verify\[0\]: unknown crawler 'altavista'"),
        ({"verify": ["google", "google"]}, r"^verify: a crawler is listed twice"),
        ({"verify": ["duckduckgo"]}, r"^verify\[0\]: 'duckduckgo' publishes IP addresses only"),
        ({"verify": ["google"], "verify_timeout": 0}, r"^verify_timeout: "),
        ({"verify": ["google"], "verify_timeout": True}, r"^verify_timeout: "),
        ({"verify": ["google"], "refuted_ttl": -1}, r"^refuted_ttl: "),
        ({"verify": ["google"], "verify_cache_size": 0}, r"^verify_cache_size: "),
        ({"trusted_proxies": ["10.0.0.0/33"]}, r"^trusted_proxies\[0\]: not an IP network"),
        ({"trusted_proxies": "10.0.0.0/8"}, r"^trusted_proxies: expected a list"),
        ({"forwarded_header": "x-real-ip"}, r"^forwarded_header: expected one of"),
        ({"verify": ["google"], "resolver": "8.8.8.8"}, r"^resolver: expected an object with reverse"),
        ({"verify": ["mine"], "verified_crawlers": {"mine": {"domains": ["x.example"]}}}, r"user_agents: expected a list"),
        ({"verify": ["mine"], "verified_crawlers": {"mine": {"user_agents": ["("], "domains": ["x.example"]}}},
         r"^verified_crawlers\.mine\.user_agents\[0\]: not a valid regex"),
        ({"verify": ["mine"], "verified_crawlers": {"mine": {"user_agents": ["m"], "domains": ["bad domain"]}}},
         r"^verified_crawlers\.mine\.domains\[0\]: not a DNS domain"),
        ({"verify": ["mine"], "verified_crawlers": {"mine": {"user_agents": ["m"], "ranges": ["nope"]}}},
         r"^verified_crawlers\.mine\.ranges\[0\]: not an IP network"),
        ({"verify": ["mine"], "verified_crawlers": {"mine": {"user_agents": ["m"], "domain": ["x.example"]}}},
         r"unknown key\(s\) \['domain'\]"),
        ({"verify": ["google"], "crawler_ranges": {"bing": "x.json"}}, r"crawler_ranges"),
        ({"crawler_ranges": {"google": []}}, r"^crawler_ranges: given, but verify lists no crawler"),
    ],
)
def test_bad_verification_fields_are_config_errors(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Config(**fields)


def test_from_mapping_takes_the_verification_fields_but_not_the_resolver(tmp_path: Path) -> None:
    ranges = tmp_path / "duckduckbot.json"
    ranges.write_text(json.dumps({"prefixes": [{"ipv4Prefix": "20.191.45.212/32"}]}))
    config = Config.from_mapping(
        {
            "verify": ["google", "duckduckgo", "mine"],
            "verified_crawlers": {"mine": {"user_agents": ["(?i)minebot"], "domains": ["crawl.example.org"]}},
            "crawler_ranges": {"duckduckgo": str(ranges)},
            "trusted_proxies": ["10.0.0.0/8", "fd00::/8"],
            "forwarded_header": "forwarded",
            "verify_timeout": 0.5,
            "verified_ttl": 3600,
            "refuted_ttl": 600,
            "failed_ttl": 10,
            "verify_cache_size": 100,
        }
    )
    assert config.verify == ("google", "duckduckgo", "mine") and config.trusted_proxies == ("10.0.0.0/8", "fd00::/8")
    assert classify("MineBot/1.0", config) is Verdict.SPOOFED
    with pytest.raises(ConfigError, match="resolver"):
        Config.from_mapping({"resolver": "system"})


# -- the ASGI middleware with a stub resolver ---------------------------------------------------


def test_verified_claim_passes_as_allow(stub: StubResolver) -> None:
    app = BotGuardMiddleware(ok_app, verify=("google",), resolver=stub, verdict_header="x-botguard")
    result = request(app, GOOGLEBOT, GOOGLE_IP)
    assert result.status == 200 and result.app_called
    assert result.scope["state"]["botguard"] is Verdict.ALLOW
    assert result.headers[b"x-botguard"] == b"allow"
    assert stub.reverse_calls == [GOOGLE_IP] and stub.forward_calls == [GOOGLE_NAME]


def test_verified_bing_and_ipv6(stub: StubResolver) -> None:
    stub.ptr["2001:4860:4801:10::1"] = [GOOGLE_NAME]
    app = BotGuardMiddleware(ok_app, verify=("google", "bing"), resolver=stub)
    assert request(app, BINGBOT, BING_IP).status == 200
    assert request(app, GOOGLEBOT, "2001:4860:4801:10::1").status == 200
    assert request(app, GOOGLEBOT, "::ffff:66.249.66.1").status == 200  # the same client, mapped


def test_spoofed_claim_gets_403_spoofed_and_is_logged(stub: StubResolver, caplog: pytest.LogCaptureFixture) -> None:
    app = BotGuardMiddleware(ok_app, verify=("google",), resolver=stub, verdict_header="x-botguard")
    hostile = b"Googlebot/2.1 \x1b[31m\xff" + b"A" * 5000
    with caplog.at_level(logging.INFO, logger="botguard"):
        result = request(app, hostile, "203.0.113.9")
    assert result.status == 403 and not result.app_called
    assert result.json() == {"message": "Forbidden"} and result.headers[b"x-botguard"] == b"spoofed"
    (record,) = [r for r in caplog.records if "verdict=spoofed" in r.getMessage()]
    line = record.getMessage()
    assert "blocked google claim from 203.0.113.9 (refuted: no reverse name) verdict=spoofed rule=verify[0]" in line
    assert 'path="/"' in line and "category=search" in line
    assert "\x1b" not in line and "\\x1b" in line and len(line) < 700


def test_forward_mismatch_is_spoofed(stub: StubResolver) -> None:
    # The attacker controls the PTR of their own address, not Google's forward zone.
    stub.ptr["203.0.113.9"] = [GOOGLE_NAME]
    app = BotGuardMiddleware(ok_app, verify=("google",), resolver=stub)
    assert request(app, GOOGLEBOT, "203.0.113.9").status == 403
    assert stub.forward_calls == [GOOGLE_NAME]


@pytest.mark.parametrize("name", ["crawl-1.evilgooglebot.com", "googlebot.com.evil.example", "crawl.googlebot.co"])
def test_lookalike_names_are_refuted_without_a_forward_lookup(stub: StubResolver, name: str) -> None:
    stub.ptr["203.0.113.9"] = [name]
    stub.a[name] = ["203.0.113.9"]
    app = BotGuardMiddleware(ok_app, verify=("google",), resolver=stub)
    assert request(app, GOOGLEBOT, "203.0.113.9").status == 403
    assert stub.forward_calls == []


def test_a_verified_google_address_does_not_prove_a_bing_claim(stub: StubResolver) -> None:
    app = BotGuardMiddleware(ok_app, verify=("google", "bing"), resolver=stub)
    assert request(app, BINGBOT, GOOGLE_IP).status == 403
    assert request(app, GOOGLEBOT, GOOGLE_IP).status == 200
    assert stub.reverse_calls == [GOOGLE_IP]  # one lookup serves both claims


def test_the_second_of_several_reverse_names_can_prove_the_claim(stub: StubResolver) -> None:
    stub.ptr[GOOGLE_IP] = ["host.example.net", GOOGLE_NAME]
    assert request(BotGuardMiddleware(ok_app, verify=("google",), resolver=stub), GOOGLEBOT, GOOGLE_IP).status == 200


def test_unknown_client_address_is_spoofed_without_dns() -> None:
    app = BotGuardMiddleware(ok_app, verify=("google",), resolver=NoDNS())
    assert request(app, GOOGLEBOT, None).status == 403


def test_monitor_mode_verifies_and_passes(stub: StubResolver) -> None:
    app = BotGuardMiddleware(ok_app, verify=("google",), resolver=stub, monitor=True)
    spoofed = request(app, GOOGLEBOT, "203.0.113.9")
    assert spoofed.status == 200 and spoofed.scope["state"]["botguard"] is Verdict.SPOOFED
    real = request(app, GOOGLEBOT, GOOGLE_IP)
    assert real.status == 200 and real.scope["state"]["botguard"] is Verdict.ALLOW


def test_on_block_hook_sees_spoofed(stub: StubResolver) -> None:
    seen = []

    def hook(scope: Any, verdict: Verdict) -> tuple[int, list[tuple[str, str]], str]:
        seen.append(verdict)
        return 451, [("content-type", "text/plain")], "no"

    app = BotGuardMiddleware(ok_app, verify=("google",), resolver=stub, on_block=hook)
    assert request(app, GOOGLEBOT, "203.0.113.9").status == 451 and seen == [Verdict.SPOOFED]


def test_websocket_claim_is_verified_too(stub: StubResolver) -> None:
    app = BotGuardMiddleware(ok_app, verify=("google",), resolver=stub)
    for ip, accepted in ((GOOGLE_IP, True), ("203.0.113.9", False)):
        scope = http_scope(ua_headers(GOOGLEBOT), kind="websocket")
        scope["client"] = (ip, 1)
        result = run(app, scope)
        assert result.app_called is accepted
        assert result.messages[0]["type"] == ("websocket.accept" if accepted else "websocket.close")


# -- timeouts, failures and the per-address cache -----------------------------------------------


def test_a_hanging_resolver_costs_one_timeout_then_the_failure_is_cached(stub: StubResolver) -> None:
    gate = stub.hang()
    app = BotGuardMiddleware(ok_app, verify=("google",), resolver=stub, verify_timeout=0.2)
    assert request(app, GOOGLEBOT, GOOGLE_IP).status == 403  # timed out: refused
    assert request(app, GOOGLEBOT, GOOGLE_IP).status == 403  # the failure, from the cache
    verifier = app.guard.current()[0]._verification.verifier  # type: ignore[union-attr]
    assert len(stub.reverse_calls) == 1  # one lookup started: the second request found the failure
    cached = verifier.cached(GOOGLE_IP)
    assert cached is not None and cached.status == FAILED and "no answer within 0.2s" in cached.reason
    gate.set()  # DNS answers late: its answer replaces the failure
    for _ in range(200):
        found = verifier.cached(GOOGLE_IP)
        if found is not None and found.status == CONFIRMED:
            break
        threading.Event().wait(0.01)
    assert request(app, GOOGLEBOT, GOOGLE_IP).status == 200
    assert len(stub.reverse_calls) == 1


@pytest.mark.parametrize("error", [OSError("SERVFAIL"), TimeoutError("timed out"), RuntimeError("resolver bug")])
def test_a_failing_resolver_refuses_and_caches_the_failure(error: BaseException) -> None:
    resolver = StubResolver(fail=error)
    app = BotGuardMiddleware(ok_app, verify=("google",), resolver=resolver)
    assert request(app, GOOGLEBOT, GOOGLE_IP).status == 403
    assert request(app, GOOGLEBOT, GOOGLE_IP).status == 403
    assert resolver.reverse_calls == [GOOGLE_IP]
    found = app.guard.current()[0]._verification.verifier.cached(GOOGLE_IP)  # type: ignore[union-attr]
    assert found is not None and found.status == FAILED


def test_a_burst_from_one_address_triggers_one_lookup(stub: StubResolver) -> None:
    gate = stub.hang()
    app = BotGuardMiddleware(ok_app, verify=("google",), resolver=stub, verify_timeout=5)

    async def burst() -> list[int]:
        tasks = [asyncio.ensure_future(request_async(app, GOOGLEBOT, GOOGLE_IP)) for _ in range(50)]
        await asyncio.sleep(0.05)  # every request is now waiting on the same lookup
        gate.set()
        return await asyncio.gather(*tasks)

    assert asyncio.run(burst()) == [200] * 50
    assert stub.reverse_calls == [GOOGLE_IP] and stub.forward_calls == [GOOGLE_NAME]
    # Burst of spoofers from many addresses (in as many networks, each within its share of
    # lookups): one lookup per address.
    spoofers = [f"203.{i}.113.9" for i in range(1, 21)]

    async def many() -> list[int]:
        return await asyncio.gather(*(request_async(app, GOOGLEBOT, ip) for ip in spoofers for _ in range(5)))

    assert asyncio.run(many()) == [403] * 100
    assert sorted(stub.reverse_calls[1:]) == sorted(spoofers)


def test_a_burst_of_threads_triggers_one_lookup(stub: StubResolver) -> None:
    gate = stub.hang()
    # Every thread may wait (the default lets one wait and answers the others at once).
    guard = Guard(Config(verify=("google",), resolver=stub, verify_timeout=5, verify_max_waiting=20))
    results: list[Verdict | None] = []

    def one() -> None:
        request = Request((GOOGLEBOT.encode(),), peer=GOOGLE_IP)
        results.append(guard.settle(guard.decide(request), request).verdict)

    threads = [threading.Thread(target=one) for _ in range(20)]
    for thread in threads:
        thread.start()
    threading.Event().wait(0.05)
    gate.set()
    for thread in threads:
        thread.join(10)
    assert results == [Verdict.ALLOW] * 20 and stub.reverse_calls == [GOOGLE_IP]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(("ip", "status", "ttl"), [(GOOGLE_IP, CONFIRMED, 100.0), ("203.0.113.9", REFUTED, 10.0)])
def test_each_result_is_cached_for_its_own_ttl(stub: StubResolver, ip: str, status: str, ttl: float) -> None:
    clock = Clock()
    verifier = Verifier(stub, ("googlebot.com",), timeout=2, ttls=(100.0, 10.0, 1.0), timer=clock)
    assert verifier.lookup_sync(ip).status == status
    clock.now += ttl - 0.001
    assert verifier.lookup_sync(ip).status == status and len(stub.reverse_calls) == 1
    clock.now += 0.002
    assert verifier.cached(ip) is None
    assert verifier.lookup_sync(ip).status == status and len(stub.reverse_calls) == 2


def test_a_failure_is_cached_for_failed_ttl_only() -> None:
    clock = Clock()
    resolver = StubResolver(fail=OSError("SERVFAIL"))
    verifier = Verifier(resolver, ("googlebot.com",), timeout=2, ttls=(100.0, 10.0, 1.0), timer=clock)
    assert verifier.lookup_sync(GOOGLE_IP).status == FAILED
    clock.now += 0.5
    assert verifier.lookup_sync(GOOGLE_IP).status == FAILED and len(resolver.reverse_calls) == 1
    resolver.fail = None
    clock.now += 0.6
    assert verifier.lookup_sync(GOOGLE_IP).status == CONFIRMED and len(resolver.reverse_calls) == 2


def test_the_cache_is_bounded(stub: StubResolver) -> None:
    verifier = Verifier(stub, ("googlebot.com",), cache_size=8)
    for i in range(30):
        verifier.lookup_sync(f"203.{i}.113.9")
    assert len(verifier._others) == 8 and len(stub.reverse_calls) == 30


# -- published ranges ---------------------------------------------------------------------------


def test_published_ranges_prove_a_claim_without_dns(tmp_path: Path) -> None:
    google = tmp_path / "googlebot.json"
    google.write_text(
        json.dumps({"creationTime": "2024-01-01T00:00:00", "prefixes": [{"ipv4Prefix": "66.249.64.0/27"}, {"ipv6Prefix": "2001:4860:4801:10::/64"}]})
    )
    ddg = tmp_path / "ddg.json"
    ddg.write_text(json.dumps(["20.191.45.212", "40.88.21.235/32"]))
    resolver = StubResolver()
    app = BotGuardMiddleware(
        ok_app, verify=("google", "duckduckgo"), resolver=resolver,
        crawler_ranges={"google": str(google), "duckduckgo": [str(ddg)]},
    )
    assert request(app, GOOGLEBOT, "66.249.64.5").status == 200
    assert request(app, GOOGLEBOT, "2001:4860:4801:10::99").status == 200
    assert request(app, "DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)", "40.88.21.235").status == 200
    assert resolver.reverse_calls == []
    # Outside the ranges: DNS still proves Google (ranges go stale); DuckDuckGo has only its list.
    assert request(app, GOOGLEBOT, GOOGLE_IP).status == 200 and resolver.reverse_calls == [GOOGLE_IP]
    assert request(app, "DuckDuckBot/1.1", "203.0.113.9").status == 403 and resolver.reverse_calls == [GOOGLE_IP]


def test_load_ranges_file_formats_and_errors(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text(json.dumps({"prefixes": [{"ipv4Prefix": "1.2.3.0/24"}, {"ipv6Prefix": "2001:db8::/32"}]}))
    assert load_ranges_file(str(path)) == ["1.2.3.0/24", "2001:db8::/32"]
    path.write_text("{not json")
    with pytest.raises(ConfigError, match="cannot read"):
        load_ranges_file(str(path))
    path.write_text(json.dumps({"prefixes": [{"ipv5Prefix": "x"}]}))
    with pytest.raises(ConfigError, match="not a network"):
        load_ranges_file(str(path))
    with pytest.raises(ConfigError, match="cannot read"):
        Config(verify=("google",), crawler_ranges={"google": str(tmp_path / "missing.json")})
    path.write_text(json.dumps(["1.2.3.0/24", "300.1.1.1/8"]))
    with pytest.raises(ConfigError, match=r"crawler_ranges\.google\[1\]: not an IP network"):
        Config(verify=("google",), crawler_ranges={"google": str(path)})


@given(
    networks=st.lists(st.tuples(st.integers(0, 2**32 - 1), st.integers(8, 32)), max_size=12),
    probes=st.lists(st.integers(0, 2**32 - 1), max_size=30),
)
def test_range_set_agrees_with_the_networks(networks: list[tuple[int, int]], probes: list[int]) -> None:
    nets = [ipaddress.ip_network((base, prefix), strict=False) for base, prefix in networks]
    ranges = RangeSet(nets)
    for value in probes + [int(n.network_address) for n in nets] + [int(n.broadcast_address) + 1 for n in nets if int(n.broadcast_address) < 2**32 - 1]:
        ip = ipaddress.IPv4Address(value)
        assert (ip in ranges) == any(ip in n for n in nets)


# -- your own crawlers --------------------------------------------------------------------------


def test_verified_crawlers_extend_and_replace_the_table() -> None:
    stub = StubResolver(ptr={"192.0.2.7": ["bot-1.crawl.example.org"]}, a={"bot-1.crawl.example.org": ["192.0.2.7"]})
    mine = Crawler("mine", user_agents=(r"(?i)\bminebot\b",), domains=("crawl.example.org",), category="monitor")
    app = BotGuardMiddleware(
        ok_app, verify=("mine", "google"), resolver=stub,
        verified_crawlers={"mine": mine, "google": {"user_agents": ["(?i)googlebot"], "domains": ["crawl.example.org"]}},
    )
    assert request(app, "MineBot/1.0", "192.0.2.7").status == 200
    assert request(app, "MineBot/1.0", "192.0.2.8").status == 403
    assert request(app, GOOGLEBOT, "192.0.2.7").status == 200  # google replaced by your own entry
    assert explain("MineBot/1.0", app.guard.current()[0]).rule.category == "monitor"  # type: ignore[union-attr]


def test_builtin_table_is_sane() -> None:
    for name, crawler in CRAWLERS.items():
        assert crawler.name == name and crawler.user_agents and crawler.docs.startswith("https://")
        assert crawler.category in ("search", "seo", "ai", "library", "monitor", "preview", "scanner", "feed", "archive", "other")
    assert CRAWLERS["google"].domains == ("googlebot.com", "google.com")
    assert "googleusercontent.com" not in " ".join(CRAWLERS["google"].domains)  # any Cloud VM has such a name
    assert "gae.googleusercontent.com" in CRAWLERS["google-fetcher"].domains
    assert CRAWLERS["bing"].domains == ("search.msn.com",)
    assert set(CRAWLERS["yandex"].domains) == {"yandex.ru", "yandex.net", "yandex.com"}
    assert CRAWLERS["apple"].domains == ("applebot.apple.com",)
    assert set(CRAWLERS["baidu"].domains) == {"baidu.com", "baidu.jp"}
    assert CRAWLERS["duckduckgo"].domains == () and CRAWLERS["facebook"].domains == ()


@pytest.mark.parametrize(
    ("ua", "crawler"),
    [
        ("Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)", "yandex"),
        ("Mozilla/5.0 (compatible; YandexImages/3.0; +http://yandex.com/bots)", "yandex"),
        ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Version/17.0 Mobile Safari/604.1 YaBrowser/24.1", None),
        ("Mozilla/5.0 (Macintosh) Version/8.0.2 Safari/600.2.5 (Applebot/0.1; +http://www.apple.com/go/applebot)", "apple"),
        ("Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)", "baidu"),
        ("Mozilla/5.0 (compatible; Yahoo! Slurp; http://help.yahoo.com/help/us/ysearch/slurp)", "yahoo"),
        ("Mozilla/5.0 (compatible; SeznamBot/4.0; +http://napoveda.seznam.cz/seznambot-intro/)", "seznam"),
        ("Mozilla/5.0 (Macintosh) Safari/600.2.5 (Amazonbot/0.1; +https://developer.amazon.com/support/amazonbot)", "amazon"),
        ("FeedFetcher-Google; (+http://www.google.com/feedfetcher.html)", "google-fetcher"),
        ("Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", "bing"),
        (CHROME, None),
    ],
)
def test_builtin_claim_patterns(ua: str, crawler: str | None) -> None:
    assert explain(ua, Config(verify=ALL_DNS)).crawler == crawler


# -- the system resolver on loopback ------------------------------------------------------------


@pytest.mark.parametrize("ip", ["127.0.0.1", "::1"])
def test_system_resolver_refutes_loopback_claims(ip: str) -> None:
    app = BotGuardMiddleware(ok_app, verify=("google", "bing"), verdict_header="x-botguard")
    for ua in (GOOGLEBOT, BINGBOT):
        result = request(app, ua, ip)
        assert result.status == 403 and result.headers[b"x-botguard"] == b"spoofed"
    assert request(app, CHROME, ip).status == 200


def test_system_resolver_answers_loopback() -> None:
    assert "localhost" in SystemResolver().reverse("127.0.0.1")
    assert "127.0.0.1" in SystemResolver().forward("localhost")


def test_real_uvicorn_refuses_spoofed_claims_on_127_0_0_1() -> None:
    with serve_uvicorn("tests.apps.verify_app:app", "--no-proxy-headers") as base:
        for ua in (GOOGLEBOT, BINGBOT, "googlebot"):
            response = httpx.get(base + "/", headers={"user-agent": ua})
            assert response.status_code == 403 and response.headers["x-botguard"] == "spoofed"
            assert response.json() == {"message": "Forbidden"}
        browser = httpx.get(base + "/", headers={"user-agent": CHROME})
        assert browser.status_code == 200 and browser.json() == {"verdict": "NONE"}


@pytest.mark.skipif(not ipv6_loopback_works(), reason="this machine cannot listen on and connect to [::1]")
def test_real_uvicorn_refuses_spoofed_claims_on_ipv6_loopback() -> None:
    with serve_uvicorn("tests.apps.verify_app:app", "--no-proxy-headers", host="::1") as base:
        assert base.startswith("http://[::1]:")
        response = httpx.get(base + "/", headers={"user-agent": GOOGLEBOT})
        assert response.status_code == 403 and response.headers["x-botguard"] == "spoofed"
        assert httpx.get(base + "/", headers={"user-agent": CHROME}).status_code == 200


# -- the client address: trusted proxies --------------------------------------------------------

TEN = (ipaddress.ip_network("10.0.0.0/8"),)
LOOP = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))

XFF_CASES = [
    # (peer, header values, trusted, expected)
    ("203.0.113.7", [], (), "203.0.113.7"),
    ("203.0.113.7", ["66.249.66.1"], (), "203.0.113.7"),  # never trusted by default
    ("203.0.113.7", ["66.249.66.1"], TEN, "203.0.113.7"),  # the peer is not one of our proxies
    ("10.0.0.5", ["66.249.66.1"], TEN, "66.249.66.1"),
    ("10.0.0.5", ["66.249.66.1, 10.0.0.7"], TEN, "66.249.66.1"),
    ("10.0.0.5", ["66.249.66.1, 203.0.113.7, 10.0.0.7"], TEN, "203.0.113.7"),  # spoofed left part ignored
    ("10.0.0.5", ["66.249.66.1", "203.0.113.7"], TEN, "203.0.113.7"),  # two header lines
    ("10.0.0.5", ["10.0.0.9, 10.0.0.8"], TEN, "10.0.0.9"),  # all ours: the leftmost
    ("10.0.0.5", [], TEN, "10.0.0.5"),
    ("10.0.0.5", ["  "], TEN, "10.0.0.5"),
    ("10.0.0.5", ["203.0.113.7:5555"], TEN, "203.0.113.7"),
    ("10.0.0.5", ["[2001:db8::1]:443"], TEN, "2001:db8::1"),
    ("10.0.0.5", ["2001:db8::1"], TEN, "2001:db8::1"),
    ("10.0.0.5", ["::ffff:203.0.113.7"], TEN, "203.0.113.7"),
    ("10.0.0.5", ["fe80::1%eth0"], TEN, "fe80::1"),
    ("10.0.0.5", ["66.249.66.1, garbage"], TEN, None),
    ("10.0.0.5", ["unknown"], TEN, None),
    ("10.0.0.5", ["66.249.66.1,,10.0.0.7"], TEN, None),
    ("10.0.0.5", ["203.0.113.7:port"], TEN, None),
    ("10.0.0.5", ["203.0.113.7:99999999"], TEN, None),
    ("10.0.0.5", ["[2001:db8::1"], TEN, None),
    ("10.0.0.5", ["[2001:db8::1]x"], TEN, None),
    ("10.0.0.5", ["203.0.113.007"], TEN, None),
    ("10.0.0.5", ["1.2.3.4.5"], TEN, None),
    ("10.0.0.5", ["٣.٣.٣.٣"], TEN, None),
    ("10.0.0.5", [", ".join(["10.0.0.1"] * (MAX_HOPS + 5))], TEN, None),  # too many hops
    ("10.0.0.5", [", ".join(["203.0.113.7"] + ["10.0.0.1"] * (MAX_HOPS - 1))], TEN, "203.0.113.7"),
    ("10.0.0.5", [", ".join(["66.249.66.1"] * 10_000 + ["203.0.113.7"])], TEN, "203.0.113.7"),
    ("::1", ["66.249.66.1"], LOOP, "66.249.66.1"),
    ("127.0.0.1", ["2001:db8::2, ::1"], LOOP, "2001:db8::2"),
    ("garbage", ["66.249.66.1"], TEN, None),
    (None, ["66.249.66.1"], TEN, None),
    ("", [], (), None),
]


@pytest.mark.parametrize(("peer", "values", "trusted", "expected"), XFF_CASES)
def test_x_forwarded_for(peer: str | None, values: list[str], trusted: tuple[Any, ...], expected: str | None) -> None:
    assert client_ip(peer, values, trusted) == expected


FORWARDED_CASES = [
    (["for=192.0.2.60;proto=http;by=203.0.113.43"], "192.0.2.60"),
    (['for="[2001:db8:cafe::17]:4711"'], "2001:db8:cafe::17"),
    (["for=[2001:db8:cafe::17]"], "2001:db8:cafe::17"),
    (['For="192.0.2.60:8080"'], "192.0.2.60"),
    (["for=192.0.2.43, for=10.0.0.2"], "192.0.2.43"),
    (["for=192.0.2.43", "for=198.51.100.17;by=10.0.0.1"], "198.51.100.17"),
    (["proto=https;for=192.0.2.43;host=example.com"], "192.0.2.43"),
    (["for=unknown"], None),
    (["for=_hidden"], None),
    (['for="_gazonk"'], None),
    (["for=192.0.2.43, for=_hidden"], None),
    (["proto=https;by=10.0.0.1"], None),  # an element without for=
    (['for="192.0.2.43'], None),
    (["for=192.0.2.43;for=198.51.100.1"], "192.0.2.43"),  # the first for= of an element
    (["for=192.0.2.43, , for=10.0.0.2"], None),
]


@pytest.mark.parametrize(("values", "expected"), FORWARDED_CASES)
def test_forwarded(values: list[str], expected: str | None) -> None:
    assert client_ip("10.0.0.5", values, TEN, forwarded=True) == expected


@given(header=st.text(max_size=300), peer=st.text(max_size=50))
@settings(max_examples=300, deadline=None)
def test_client_ip_is_total(header: str, peer: str) -> None:
    for forwarded in (False, True):
        found = client_ip(peer, [header], TEN, forwarded)
        assert found is None or str(parse_ip(found)) == found


def _environ_client_ip(environ: dict[str, str], trusted: tuple[IPNetwork, ...], header: str) -> str | None:
    # What the guard does with a WSGI request: the peer and, behind a trusted proxy, the header.
    request = environ_request(environ)
    values = [v.decode("latin-1") for v in request.header_values(header)] if trusted else []
    return client_ip(request.peer, values, trusted, header == "forwarded")


def test_wsgi_environ_reads_remote_addr_and_the_proxy_header() -> None:
    environ = {"REMOTE_ADDR": "10.0.0.5", "HTTP_X_FORWARDED_FOR": "66.249.66.1, 10.0.0.7", "HTTP_FORWARDED": "for=192.0.2.1"}
    assert _environ_client_ip(environ, TEN, "x-forwarded-for") == "66.249.66.1"
    assert _environ_client_ip(environ, TEN, "forwarded") == "192.0.2.1"
    assert _environ_client_ip(environ, (), "x-forwarded-for") == "10.0.0.5"


def test_proxy_header_through_the_middleware(stub: StubResolver) -> None:
    xff = [(b"x-forwarded-for", GOOGLE_IP.encode())]
    trusting = BotGuardMiddleware(ok_app, verify=("google",), resolver=stub, trusted_proxies=["127.0.0.0/8"])
    assert request(trusting, GOOGLEBOT, "127.0.0.1", xff).status == 200
    # The attack: a spoofer sends the header itself. Not behind a trusted proxy, it is ignored.
    default = BotGuardMiddleware(ok_app, verify=("google",), resolver=stub)
    assert request(default, GOOGLEBOT, "203.0.113.9", xff).status == 403
    assert request(trusting, GOOGLEBOT, "203.0.113.9", xff).status == 403
    forwarded = BotGuardMiddleware(
        ok_app, verify=("google",), resolver=stub, trusted_proxies=["::1/128"], forwarded_header="forwarded"
    )
    assert request(forwarded, GOOGLEBOT, "::1", [(b"forwarded", f'for="{GOOGLE_IP}:443"'.encode())]).status == 200
    # Only the configured header is read: X-Forwarded-For cannot stand in for Forwarded.
    assert request(forwarded, GOOGLEBOT, "::1", xff).status == 403


def test_by_default_a_trusted_proxys_forwarded_counts_where_it_sent_no_x_forwarded_for(stub: StubResolver) -> None:
    trusting = BotGuardMiddleware(ok_app, verify=("google",), resolver=stub, trusted_proxies=["10.0.0.0/8"])
    rfc = [(b"forwarded", f"for={GOOGLE_IP};proto=https".encode())]
    assert request(trusting, GOOGLEBOT, "10.0.0.5", rfc).status == 200
    # A proxy that writes X-Forwarded-For always writes it: a Forwarded the client adds is not read.
    own = [(b"x-forwarded-for", b"203.0.113.9"), (b"forwarded", f"for={GOOGLE_IP}".encode())]
    assert request(trusting, GOOGLEBOT, "10.0.0.5", own).status == 403
    # Never from an untrusted peer.
    assert request(trusting, GOOGLEBOT, "203.0.113.7", rfc).status == 403


verify_field_values: dict[str, Any] = {
    "verify": st.one_of(st.lists(st.sampled_from([*CRAWLERS, "mine", ""]), max_size=4), st.text(max_size=6),
                        st.lists(st.one_of(st.integers(), st.none(), st.lists(st.integers())), max_size=2), st.integers()),
    "verified_crawlers": st.one_of(
        st.none(), st.integers(), st.text(max_size=4),
        st.dictionaries(
            st.one_of(st.sampled_from(["mine", "google"]), st.integers(), st.text(max_size=4)),
            st.one_of(
                st.integers(), st.text(max_size=4),
                st.fixed_dictionaries(
                    {},
                    optional={
                        "user_agents": st.one_of(st.lists(st.text(max_size=8), max_size=3), st.text(max_size=4), st.lists(st.integers(), max_size=2)),
                        "domains": st.one_of(st.lists(st.text(max_size=12), max_size=3), st.lists(st.sampled_from(["crawl.example.org", ".x.example."]), max_size=2), st.integers()),
                        "ranges": st.one_of(st.lists(st.sampled_from(["10.0.0.0/8", "::1", "1.2.3.4/40", "x"]), max_size=3), st.text(max_size=4)),
                        "category": st.one_of(st.none(), st.text(max_size=5), st.integers()),
                        "docs": st.one_of(st.text(max_size=5), st.integers()),
                        "extra": st.integers(),
                    },
                ),
            ),
            max_size=2,
        ),
    ),
    "crawler_ranges": st.one_of(st.none(), st.integers(), st.dictionaries(st.text(max_size=6), st.one_of(st.text(max_size=5), st.integers(), st.lists(st.integers(), max_size=2)), max_size=2)),
    "trusted_proxies": st.one_of(st.lists(st.one_of(st.sampled_from(["10.0.0.0/8", "::1/128", "fd00::/8", "1.2.3.4/33", "10.0.0.1/8"]), st.text(max_size=8), st.integers()), max_size=3), st.text(max_size=5), st.none()),
    "forwarded_header": st.one_of(st.sampled_from(["x-forwarded-for", "forwarded"]), st.text(max_size=6), st.integers()),
    "verify_timeout": st.one_of(st.floats(allow_nan=True), st.integers(-2, 40), st.text(max_size=3), st.booleans()),
    "verified_ttl": st.one_of(st.floats(allow_nan=True), st.integers(-2, 10**8)),
    "refuted_ttl": st.one_of(st.floats(allow_nan=True), st.none()),
    "failed_ttl": st.one_of(st.integers(-1, 100), st.text(max_size=2)),
    "verify_cache_size": st.one_of(st.integers(-1, 100), st.floats(), st.booleans()),
}


@given(st.dictionaries(st.sampled_from(sorted(verify_field_values)), st.none()).flatmap(
    lambda keys: st.fixed_dictionaries({k: verify_field_values[k] for k in keys})
))
@settings(max_examples=400, deadline=None)
def test_random_verification_settings_give_a_config_or_a_config_error(mapping: dict[str, Any]) -> None:
    try:
        config = Config.from_mapping(mapping)
    except ConfigError as exc:
        assert str(exc)
    else:
        assert classify(GOOGLEBOT, config) in (Verdict.SPOOFED, Verdict.BOT)


def test_metrics_count_a_proven_claim_as_allow_and_a_spoofed_one_as_spoofed(stub: StubResolver) -> None:
    import botguard

    def counts() -> tuple[int, int]:
        requests = botguard.stats()["requests"]
        return requests["allow"]["passed"], requests["spoofed"]["blocked"]

    app = BotGuardMiddleware(ok_app, verify=("google",), resolver=stub)
    allowed, spoofed = counts()
    request(app, GOOGLEBOT, GOOGLE_IP)
    request(app, GOOGLEBOT, "203.0.113.9")
    request(app, GOOGLEBOT, "203.0.113.9")
    assert counts() == (allowed + 1, spoofed + 2)
