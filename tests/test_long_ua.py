"""Over-long User-Agents: a name or a crawler claim anywhere in the value counts; `long_ua` decides the rest."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from botguard import Config, ConfigError, ConfigLoader, Verdict, classify, explain

BROWSER = "Mozilla/5.0 (X11; Linux x86_64)"
GOOGLEBOT = " Googlebot/2.1 (+http://www.google.com/bot.html)"
GOOGLE = Config(verify=("google",))


def test_a_crawler_claim_past_1024_characters_is_a_claim() -> None:
    padded = BROWSER + "A" * 1000 + GOOGLEBOT
    assert classify(BROWSER + GOOGLEBOT, GOOGLE) is Verdict.SPOOFED
    assert classify(padded, GOOGLE) is Verdict.SPOOFED
    assert classify(padded.encode(), GOOGLE) is Verdict.SPOOFED
    assert explain(padded, GOOGLE).crawler == "google"


def test_a_claim_overrides_an_allow_rule_past_1024_characters_too() -> None:
    config = Config(allow=[r"^Mozilla/"], verify=("google",))
    assert classify(BROWSER, config) is Verdict.ALLOW
    assert classify(BROWSER + "A" * 1000 + GOOGLEBOT, config) is Verdict.SPOOFED


@pytest.mark.parametrize("name", ["python-requests/2.31", "Go-http-client/1.1", "Googlebot/2.1", "scrapy/2.11"])
def test_a_builtin_name_past_1024_characters_is_found(name: str) -> None:
    assert classify(f"{BROWSER} {name}") is Verdict.BOT
    assert classify(f"{BROWSER} {'A' * 1000} {name}") is Verdict.BOT
    assert classify(f"{BROWSER} {'A' * 200_000} {name}".encode()) is Verdict.BOT


def test_a_name_straddling_the_cut_is_found() -> None:
    text = BROWSER + " " + "A" * (1024 - len(BROWSER) - 1 - 6) + " python-requests/2.31"
    assert len(text) > 1024 and text.index("python-requests") < 1024 < text.index("python-requests") + 15
    assert classify(text) is Verdict.BOT


def test_padding_alone_names_nothing() -> None:
    assert classify(f"{BROWSER} {'A ' * 5000}") is Verdict.NONE
    assert classify(f"{BROWSER} {'A ' * 5000}", GOOGLE) is Verdict.NONE


def test_the_rest_of_the_value_keeps_the_lists_exclusions_and_admitted_categories() -> None:
    # "CUBOT" is a phone, not a bot, wherever it is; an admitted category is admitted there too.
    assert classify(f"{BROWSER} {'A ' * 1000} CUBOT X30") is Verdict.NONE
    assert classify(f"{BROWSER} {'A ' * 1000} python-requests/2.31", Config(allow_categories=("library",))) is Verdict.NONE
    # crawler-user-agents' names are case-sensitive there as in the first characters.
    assert classify(f"{BROWSER} Panasonic") is Verdict.NONE
    assert classify(f"{BROWSER} {'A ' * 1000} Panasonic") is Verdict.NONE


def test_long_ua_block_refuses_every_user_agent_over_1024_characters() -> None:
    config = Config(long_ua="block")
    found = explain(BROWSER + " " + "A" * 1000, config)
    assert (found.verdict, found.rule_list, found.rule and found.rule.source) == (Verdict.DENY, "policy", "long_ua")
    assert classify(BROWSER + " " + "A" * 900, config) is Verdict.NONE  # 1,024 characters or fewer: judged
    # Whitespace around the value does not count.
    assert classify(" " * 2000 + BROWSER + "\t" * 2000, config) is Verdict.NONE


def test_long_ua_is_validated_and_read_from_mappings_and_files(tmp_path: object) -> None:
    assert Config().long_ua == "judge"
    assert Config.from_mapping({"long_ua": "block"}).long_ua == "block"
    with pytest.raises(ConfigError, match=r"^long_ua: expected one of \['judge', 'block'\], got 'cut'"):
        Config(long_ua="cut")
    from pathlib import Path

    path = Path(str(tmp_path)) / "botguard.toml"
    path.write_text('long_ua = "block"\n')
    assert ConfigLoader.from_file(path).get().long_ua == "block"


# Names the default list finds anywhere in a User-Agent (not only at its start, as `^curl/`).
_NAMES = ["python-requests/2.31", "Googlebot/2.1", "Wget/1.21", "scrapy/2.11", "okhttp/4.12", "HeadlessChrome/120.0"]
_PADDING = st.text(alphabet="AZaz019 ;()/.,", min_size=1025, max_size=6000)


@given(padding=_PADDING, name=st.sampled_from(_NAMES))
@settings(max_examples=150, deadline=None)
def test_no_padding_hides_a_name(padding: str, name: str) -> None:
    assert classify(f"{BROWSER} {name}") is Verdict.BOT
    assert classify(f"{BROWSER} {padding} {name}") is Verdict.BOT
