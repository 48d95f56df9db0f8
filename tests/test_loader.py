"""ConfigLoader: files and URLs, identity while unchanged, TTL edges on a frozen clock, failures kept out of requests."""

from __future__ import annotations

import dataclasses
import gc
import json
import logging
import math
import os
import select
import signal
import threading
import time
import warnings
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from botguard import BotGuardMiddleware, Config, ConfigError, ConfigLoader, Verdict, cache_info, classify, stats

from tests.support.asgi_harness import http_scope, ok_app, run, ua_headers
from tests.support.config_server import ConfigServer, config_server
from tests.support.servers import serve_uvicorn
from tests.support.agents import CHROME

# Passes the built-in lists, refused by the test files' deny rules.
AGENT = "Mozilla/5.0 (X11; Linux x86_64) HelloWorld/1.0"


class FrozenClock:
    """A monotonic clock that moves only when told to."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def write(path: Path, text: str) -> None:
    """Replace `path` atomically, the way the README tells users to."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def bump_mtime(path: Path) -> None:
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))


def reloads(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "botguard" and r.levelno == level and r.getMessage().startswith("config ")
    ]


def wait_idle(loader: ConfigLoader) -> None:
    """Until the background check, if any, has finished."""
    wait_for(lambda: not loader._lock.locked())


def settled(loader: ConfigLoader) -> Config:
    """The config in force once the check that `get` may have started (in the background) is done."""
    loader.get()
    wait_idle(loader)
    return loader.get()


def wait_for(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def toml_file(tmp_path: Path) -> Path:
    path = tmp_path / "botguard.toml"
    write(path, 'deny = ["(?i)helloworld"]\nbuiltin = "kong"\n')
    return path


# --- files ------------------------------------------------------------------------------------


def test_from_file_reads_toml_and_json_by_extension(tmp_path: Path) -> None:
    toml = tmp_path / "a.toml"
    write(toml, 'allow = ["^curl/"]\ndeny = ["(?i)helloworld"]\nmonitor = true\n')
    js = tmp_path / "a.JSON"
    write(js, json.dumps({"allow": ["^curl/"], "deny": ["(?i)helloworld"], "monitor": True}))
    for path in (toml, js, str(toml)):
        config = ConfigLoader.from_file(path).get()
        assert isinstance(config, Config)
        assert (config.allow, config.deny, config.monitor) == (("^curl/",), ("(?i)helloworld",), True)
        assert classify(AGENT, config) is Verdict.DENY


def test_kong_plugin_config_migrates_as_it_is(tmp_path: Path) -> None:
    # A bot-detection plugin as Kong's Admin API returns it: entity keys, `{}` for an empty list.
    entity = {
        "id": "0f4c1e0d-4b5a-4c1f-9d3e-2b7a1c9e8f00",
        "name": "bot-detection",
        "enabled": True,
        "created_at": 1514000000000,
        "config": {"whitelist": {}, "blacklist": ["(?i)helloworld", "HelloWorld"]},
    }
    path = tmp_path / "kong-plugin.json"
    write(path, json.dumps(entity))
    config = ConfigLoader.from_file(path, ttl=None).get()
    assert config.allow == () and config.deny == ("(?i)helloworld", "HelloWorld")
    # and the bare Kong config, whitelist/blacklist as TOML
    kong_toml = tmp_path / "kong.toml"
    write(kong_toml, 'whitelist = ["facebookexternalhit/1.1"]\nblacklist = ["HelloWorld"]\n')
    config = ConfigLoader.from_file(kong_toml).get()
    assert config.allow == ("facebookexternalhit/1.1",) and config.deny == ("HelloWorld",)
    assert ConfigLoader.from_mapping(entity).get().deny == ("(?i)helloworld", "HelloWorld")


def test_a_botguard_table_in_a_shared_file_is_read_as_the_cli_reads_it(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    write(pyproject, '[project]\nname = "shop"\n\n[tool.botguard]\ndeny = ["(?i)scrapy"]\n')
    assert ConfigLoader.from_file(pyproject, ttl=None).get().deny == ("(?i)scrapy",)
    shared = tmp_path / "settings.json"
    write(shared, json.dumps({"botguard": {"deny": ["(?i)curl"]}, "other_app": {"x": 1}}))
    assert ConfigLoader.from_file(shared, ttl=None).get().deny == ("(?i)curl",)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.toml", None, "missing.toml: no such file"),
        ("rules.yaml", "deny: []", "rules.yaml: unknown config format '.yaml'; use .toml or .json"),
        ("bad.toml", 'deny = ["a"]\nbuiltin = \n', "bad.toml: not valid TOML: Invalid value (at line 2, column 11)"),
        ("bad.json", '{"deny": ["a"],\n "builtin": }', "bad.json: not valid JSON: Expecting value at line 2, column 13"),
        ("list.json", '["a"]', "list.json: expected a JSON object of settings, got list"),
        ("regex.toml", 'deny = ["ok", "(unclosed"]', "regex.toml: deny[1]: not a valid regex: '(unclosed'"),
        ("typo.toml", 'deny = []\nblaclist = ["x"]', "typo.toml: unknown key(s) ['blaclist']"),
        ("binary.json", b"\xff\xfe{", "binary.json: not UTF-8 text"),
        ("binary.toml", b"deny = ['\xff']", "binary.toml: not UTF-8 text"),
    ],
)
def test_a_bad_file_at_start_is_a_config_error_naming_it(
    tmp_path: Path, name: str, content: str | bytes | None, message: str
) -> None:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content)
    elif content is not None:
        path.write_bytes(content)
    with pytest.raises(ConfigError) as info:
        ConfigLoader.from_file(path, ttl=30)
    assert str(info.value).startswith(str(path))
    assert message in str(info.value)


def test_a_directory_is_not_a_config_file(tmp_path: Path) -> None:
    (tmp_path / "conf.toml").mkdir()
    with pytest.raises(ConfigError, match=r"conf\.toml: is a directory"):
        ConfigLoader.from_file(tmp_path / "conf.toml")


@pytest.mark.parametrize("ttl", [-1, -0.001, -math.inf, math.nan, True, False, "30", b"30", [30], object()])
def test_bad_ttl_is_a_config_error(toml_file: Path, ttl: Any) -> None:
    with pytest.raises(ConfigError, match="ttl: expected"):
        ConfigLoader.from_file(toml_file, ttl=ttl)


@pytest.mark.parametrize("ttl", [None, 0, 0.0, math.inf])
def test_ttl_none_zero_and_infinity_mean_load_once_keep_forever(
    toml_file: Path, clock: FrozenClock, ttl: float | None
) -> None:
    loader = ConfigLoader.from_file(toml_file, ttl=ttl, clock=clock)
    first = loader.get()
    assert loader.ttl is None and loader.remaining() is None
    write(toml_file, 'deny = ["(?i)curl"]\n')
    for jump in (0, 1e-9, 1, 3600, 1e12, 1e300):
        clock.now = 1000.0 + jump
        assert loader.get() is first
    clock.now = -1e300  # a clock going backwards cannot make forever due either
    assert loader.get() is first


@pytest.mark.parametrize(
    ("ttl", "offset", "due"),
    [
        (30, 0.0, True),  # remaining exactly 0: due, never "forever"
        (30, -1e-9, False),  # just above 0 remaining
        (30, 1e-9, True),  # just below 0 remaining
        (0.5, 0.0, True),
        (0.5, -2**-40, False),
        (0.5, 2**-40, True),
    ],
)
def test_exact_ttl_boundaries_on_a_frozen_clock(
    toml_file: Path, clock: FrozenClock, ttl: float, offset: float, due: bool
) -> None:
    loader = ConfigLoader.from_file(toml_file, ttl=ttl, clock=clock)
    first = loader.get()
    write(toml_file, 'deny = ["(?i)curl"]\n')
    clock.now = 1000.0 + ttl + offset
    remaining = loader.remaining()
    assert remaining is not None
    assert (remaining <= 0) is due
    if offset == 0:
        assert remaining == 0
    second = settled(loader)
    assert (second is not first) is due
    assert second.deny == (("(?i)curl",) if due else ("(?i)helloworld",))


def test_the_get_that_finds_a_small_file_changed_returns_the_new_config(toml_file: Path, clock: FrozenClock) -> None:
    # It waits a few milliseconds at most for the reload (`LOCAL_RELOAD_WAIT`); a file of a few
    # patterns is read, parsed and built well within them, even on a busy machine.
    loader = ConfigLoader.from_file(toml_file, ttl=5, clock=clock)
    first = loader.get()
    write(toml_file, 'deny = ["(?i)curl"]\n')
    clock.advance(5)
    second = loader.get()
    assert second is not first and second.deny == ("(?i)curl",)
    assert loader.get() is second


def test_remaining_is_counted_from_the_last_check(toml_file: Path, clock: FrozenClock) -> None:
    loader = ConfigLoader.from_file(toml_file, ttl=10, clock=clock)
    assert loader.remaining() == 10
    clock.advance(4)
    assert loader.remaining() == 6
    clock.advance(100)  # long overdue: one check, then a full TTL again
    loader.get()
    assert loader.remaining() == 10


def test_not_due_means_no_look_at_the_file(toml_file: Path, clock: FrozenClock) -> None:
    loader = ConfigLoader.from_file(toml_file, ttl=30, clock=clock)
    first = loader.get()
    toml_file.unlink()  # even a vanished file goes unnoticed until the TTL is up
    clock.advance(29.5)
    assert loader.get() is first


def test_same_bytes_and_same_settings_keep_the_same_object(
    toml_file: Path, clock: FrozenClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="botguard")
    loader = ConfigLoader.from_file(toml_file, ttl=1, clock=clock)
    first = loader.get()
    rewrites = [
        None,  # mtime bumped, same bytes
        'deny = ["(?i)helloworld"]\nbuiltin = "kong"\n',  # rewritten (new inode), same bytes
        'builtin   = "kong"\n\n# reordered, commented\ndeny = [ "(?i)helloworld", ]\n',  # same settings
        'blacklist = ["(?i)helloworld"]\nbuiltin = "kong"\n',  # Kong's alias for the same list
    ]
    for text in rewrites:
        if text is None:
            bump_mtime(toml_file)
        else:
            write(toml_file, text)
        clock.advance(1)
        assert settled(loader) is first
    assert reloads(caplog, logging.DEBUG) == [
        f"config unchanged: {toml_file}: same content",
        f"config unchanged: {toml_file}: same content",
        f"config unchanged: {toml_file}: same settings, reformatted",
        f"config unchanged: {toml_file}: same settings, reformatted",
    ]
    clock.advance(1)  # nothing touched: the stat alone says so
    assert loader.get() is first
    assert reloads(caplog, logging.DEBUG)[-1] == f"config unchanged: {toml_file}: not modified"
    assert not reloads(caplog, logging.WARNING) and not reloads(caplog, logging.INFO)


def test_changed_content_gives_a_new_object_and_releases_the_old_with_its_cache(
    toml_file: Path, clock: FrozenClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="botguard")
    gc.collect()
    base = cache_info().caches
    loader = ConfigLoader.from_file(toml_file, ttl=5, clock=clock)
    guarded = BotGuardMiddleware(ok_app, config=loader)
    assert run(guarded, http_scope(ua_headers(AGENT))).status == 403
    assert cache_info().caches == base + 1
    old = weakref.ref(loader.get())

    write(toml_file, 'deny = ["(?i)curl"]\nbuiltin = "kong"\n')
    clock.advance(5)
    settled(loader)
    assert run(guarded, http_scope(ua_headers(AGENT))).status == 200
    assert run(guarded, http_scope(ua_headers("curl/8.5.0"))).status == 403
    gc.collect()
    assert old() is None
    assert cache_info().caches == base + 1
    assert reloads(caplog, logging.INFO) == [f"config reloaded: {toml_file}: new settings in force"]


BROKEN = [
    ("deleted", None, "no such file"),
    ("half-written TOML", 'deny = ["(?i)hellow', "not valid TOML"),
    ("bad regex", 'deny = ["(unclosed"]', "deny[0]: not a valid regex"),
    ("unknown key", 'deny = []\nblock_stauts = 404', "unknown key(s) ['block_stauts']"),
    ("bad value", 'deny = []\nblock_status = 200', "block_status: expected a whole number"),
    ("empty", "", "the file is empty"),  # valid TOML, but most often a half-written file
    ("comment only", "# botguard's defaults\n", None),  # the defaults, meant: a real change
]


@pytest.mark.parametrize(("case", "text", "reason"), BROKEN, ids=[c for c, _, _ in BROKEN])
def test_a_failed_reload_keeps_the_last_good_config_warns_once_and_retries_next_ttl(
    toml_file: Path, clock: FrozenClock, caplog: pytest.LogCaptureFixture, case: str, text: str | None, reason: str | None
) -> None:
    caplog.set_level(logging.INFO, logger="botguard")
    loader = ConfigLoader.from_file(toml_file, ttl=10, clock=clock)
    guarded = BotGuardMiddleware(ok_app, config=loader)
    good = loader.get()
    if text is None:
        toml_file.unlink()
    else:
        toml_file.write_text(text)  # in place, not atomic: what a careless editor does
    clock.advance(10)
    settled(loader)
    results = [run(guarded, http_scope(ua_headers(AGENT))).status for _ in range(5)]
    if reason is None:
        assert loader.get() is not good and results == [200] * 5
        return
    assert results == [403] * 5 and loader.get() is good
    warnings = reloads(caplog, logging.WARNING)
    assert len(warnings) == 1, warnings
    assert warnings[0].startswith("config reload failed, keeping the last good config: " + str(toml_file))
    assert reason in warnings[0]
    clock.advance(9)  # not due yet: no retry, no second warning
    loader.get()
    assert len(reloads(caplog, logging.WARNING)) == 1
    clock.advance(1)  # the next TTL retries, fails again, says so once more
    settled(loader)
    assert len(reloads(caplog, logging.WARNING)) == 2
    write(toml_file, 'deny = ["(?i)curl"]\n')
    clock.advance(10)
    assert settled(loader) is not good and loader.get().deny == ("(?i)curl",)
    assert reloads(caplog, logging.INFO)[-1].endswith("new settings in force")


def test_get_is_safe_from_many_threads_while_the_file_changes(tmp_path: Path) -> None:
    path = tmp_path / "botguard.json"
    write(path, json.dumps({"deny": ["v0"]}))
    loader = ConfigLoader.from_file(path, ttl=1e-6)  # the real clock: nearly every get is due
    histories: list[list[int]] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def reader() -> None:
        history = [0]
        try:
            while not stop.is_set():
                version = int(loader.get().deny[0][1:])
                if version != history[-1]:
                    history.append(version)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        histories.append(history)

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for thread in threads:
        thread.start()
    for version in range(1, 11):
        write(path, json.dumps({"deny": [f"v{version}"]}))
        assert loader.refresh().deny == (f"v{version}",)
    stop.set()
    for thread in threads:
        thread.join()
    assert not errors
    # No thread ever went back to an older config once it had seen a newer one.
    assert all(history == sorted(history) for history in histories), histories
    assert loader.get().deny == ("v10",)


# --- from_mapping and the middleware --------------------------------------------------------------


def test_from_mapping_is_one_object_forever() -> None:
    loader = ConfigLoader.from_mapping({"blacklist": ["(?i)helloworld"]})
    assert loader.ttl is None and loader.get() is loader.get()
    assert loader.get().deny == ("(?i)helloworld",)
    with pytest.raises(ConfigError, match="unknown key"):
        ConfigLoader.from_mapping({"denny": []})
    with pytest.raises(ConfigError, match="expected a table of settings"):
        ConfigLoader.from_mapping(["deny"])  # type: ignore[arg-type]


def test_the_middleware_resolves_the_cache_only_when_the_object_changes(toml_file: Path, clock: FrozenClock) -> None:
    loader = ConfigLoader.from_file(toml_file, ttl=1, clock=clock)
    guarded = BotGuardMiddleware(ok_app, config=loader)
    before = cache_info()
    for _ in range(50):
        bump_mtime(toml_file)
        clock.advance(1)
        result = run(guarded, http_scope(ua_headers(CHROME)))
        assert result.status == 200 and result.scope["state"]["botguard"] is Verdict.NONE
    after = cache_info()
    assert after.misses - before.misses == 1 and after.hits - before.hits == 49


@pytest.fixture
def served_file(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    path = tmp_path / "botguard.toml"
    write(path, 'deny = ["(?i)curl"]\n')
    with serve_uvicorn("tests.apps.loader_app:app", env={"BOTGUARD_TEST_CONFIG": str(path), "BOTGUARD_TEST_TTL": "0.05"}) as base:
        yield path, base


def test_a_real_uvicorn_picks_up_a_file_change_and_survives_a_broken_file(served_file: tuple[Path, str]) -> None:
    path, base = served_file
    with httpx.Client(base_url=base) as client:
        assert client.get("/", headers={"user-agent": AGENT}).status_code == 200
        write(path, 'deny = ["(?i)helloworld"]\n')
        wait_for(lambda: client.get("/", headers={"user-agent": AGENT}).status_code == 403)
        path.write_text('deny = ["(?i)helloworld"')  # broken: the last good config stays
        statuses = {client.get("/", headers={"user-agent": AGENT}).status_code for _ in range(40)}
        assert statuses == {403}
        write(path, "deny = []\n")
        wait_for(lambda: client.get("/", headers={"user-agent": AGENT}).status_code == 200)


def test_two_uvicorn_workers_each_load_and_both_converge(tmp_path: Path) -> None:
    path = tmp_path / "botguard.toml"
    write(path, "deny = []\n")
    env = {"BOTGUARD_TEST_CONFIG": str(path), "BOTGUARD_TEST_TTL": "0.2"}
    with serve_uvicorn("tests.apps.loader_app:app", "--workers", "2", env=env) as base, httpx.Client(base_url=base) as client:

        def answers(n: int) -> list[tuple[int, str]]:
            # A new connection each time, so the kernel spreads them over both workers; every
            # answer, a 403 too, names the worker that sent it.
            out = []
            for _ in range(n):
                response = client.get("/", headers={"user-agent": AGENT, "connection": "close"})
                out.append((response.status_code, response.headers["x-pid"]))
            return out

        def workers_answering(status: int) -> set[str]:
            return {pid for got, pid in answers(20) if got == status}

        wait_for(lambda: len(workers_answering(200)) == 2)  # both workers are up and serving
        write(path, 'deny = ["(?i)helloworld"]\n')
        # A file is checked on the first request after its TTL; the new rules are built in the
        # background while that worker keeps answering with the old ones. So once a TTL has
        # passed, each worker switches once its build is done, and never goes back.
        time.sleep(0.2 + 0.1)
        switched: set[str] = set()

        def both_switched() -> bool:
            switched.update(workers_answering(403))
            return len(switched) == 2

        wait_for(both_switched)
        after = answers(40)  # and no worker goes back
        assert {status for status, _ in after} == {403}, after


# --- URLs against a real server on 127.0.0.1 --------------------------------------------------------


def good_json(*deny: str) -> bytes:
    return json.dumps({"deny": list(deny), "builtin": "kong"}).encode()


@pytest.fixture
def server() -> Iterator[ConfigServer]:
    with config_server(good_json("(?i)helloworld")) as running:
        yield running


def test_url_identity_is_stable_and_the_etag_is_honoured(server: ConfigServer, clock: FrozenClock) -> None:
    with ConfigLoader.from_url(server.url, ttl=60, clock=clock) as loader:
        first = loader.get()
        assert first.deny == ("(?i)helloworld",)
        for _ in range(3):
            clock.advance(60)
            assert loader.get() is first  # due: the refresh starts, the answer is not awaited
            wait_idle(loader)
            assert loader.get() is first
        assert server.answers == {200: 1, 304: 3}
        assert all("if-none-match" in h for h in list(server.request_headers)[1:])


def test_url_without_validators_keeps_identity_by_digest(clock: FrozenClock) -> None:
    with config_server(good_json("x"), etag=False) as server, ConfigLoader.from_url(server.url, ttl=1, clock=clock) as loader:
        first = loader.get()
        server.set_body(json.dumps({"builtin": "kong", "deny": ["x"]}, indent=2).encode())  # same settings
        for _ in range(3):
            assert loader.refresh() is first
        assert server.answers == {200: 4}
        assert "if-none-match" not in server.request_headers[-1]


def test_url_last_modified_gives_304(clock: FrozenClock) -> None:
    with config_server(good_json("x"), etag=False, last_modified=True) as server:
        with ConfigLoader.from_url(server.url, ttl=1, clock=clock) as loader:
            first = loader.get()
            assert loader.refresh() is first
            assert server.answers == {200: 1, 304: 1}
            assert server.request_headers[-1]["if-modified-since"].endswith("GMT")
            server.set_body(good_json("y"))
            assert loader.refresh().deny == ("y",)


def test_url_change_is_picked_up_and_the_old_config_released(server: ConfigServer, clock: FrozenClock) -> None:
    with ConfigLoader.from_url(server.url, ttl=5, clock=clock) as loader:
        guarded = BotGuardMiddleware(ok_app, config=loader)
        assert run(guarded, http_scope(ua_headers(AGENT))).status == 403
        old = weakref.ref(loader.get())
        server.set_body(good_json("(?i)curl"))
        clock.advance(5)
        loader.get()
        wait_idle(loader)
        assert run(guarded, http_scope(ua_headers(AGENT))).status == 200
        assert run(guarded, http_scope(ua_headers("curl/8.5.0"))).status == 403
        gc.collect()
        assert old() is None


def test_get_never_waits_for_the_network_and_one_refresh_is_in_flight(server: ConfigServer, clock: FrozenClock) -> None:
    with ConfigLoader.from_url(server.url, ttl=5, clock=clock) as loader:
        first = loader.get()
        server.set_body(good_json("(?i)curl"))
        server.gate.clear()  # the server hangs until we let it answer
        clock.advance(5)
        results = []
        for _ in range(200):
            results.append(loader.get())
            clock.advance(5)  # due again and again while the refresh hangs
        assert all(config is first for config in results)
        server.gate.set()
        wait_for(lambda: loader.get() is not first)
        assert loader.get().deny == ("(?i)curl",)
        assert server.requests == 2  # the first load, and one refresh despite 200 due gets


@pytest.mark.parametrize("failure", ["http 503", "http 404", "bad json", "bad regex", "timeout", "server down"])
def test_url_outage_keeps_the_last_good_config(
    failure: str, clock: FrozenClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="botguard")
    server = ConfigServer(good_json("(?i)helloworld"))
    server.start()
    try:
        loader = ConfigLoader.from_url(server.url, ttl=5, clock=clock, timeout=0.3)
        guarded = BotGuardMiddleware(ok_app, config=loader)
        good = loader.get()
        if failure.startswith("http"):
            server.status = int(failure.split()[1])
        elif failure == "bad json":
            server.set_body(b'{"deny": ["x"],')
        elif failure == "bad regex":
            server.set_body(good_json("(unclosed"))
        elif failure == "timeout":
            server.gate.clear()
        else:
            server.stop()
        clock.advance(5)
        assert run(guarded, http_scope(ua_headers(AGENT))).status == 403
        wait_idle(loader)
        assert run(guarded, http_scope(ua_headers(AGENT))).status == 403
        assert loader.get() is good
        warnings = reloads(caplog, logging.WARNING)
        assert len(warnings) == 1, warnings
        expected = {
            "http 503": "HTTP 503 Service Unavailable",
            "http 404": "HTTP 404 Not Found",
            "bad json": "at line 1, column 16",
            "bad regex": "deny[0]: not a valid regex",
            "timeout": "no answer within 0.3s",
            "server down": "ConnectError",
        }[failure]
        assert server.url in warnings[0] and expected in warnings[0]
        if failure != "server down":
            server.status = None
            server.gate.set()
            server.set_body(good_json("(?i)curl"))
            clock.advance(5)
            loader.get()
            wait_idle(loader)
            assert loader.get().deny == ("(?i)curl",)
            assert reloads(caplog, logging.INFO)[-1].endswith("new settings in force")
        loader.close()
    finally:
        if failure != "server down":
            server.stop()


def test_url_headers_are_sent_and_start_failures_are_config_errors(server: ConfigServer) -> None:
    server.required_headers = {"Authorization": "Bearer s3cret"}
    with pytest.raises(ConfigError, match=r"botguard\.json: HTTP 401"):
        ConfigLoader.from_url(server.url)
    with ConfigLoader.from_url(server.url, ttl=30, headers={"Authorization": "Bearer s3cret"}) as loader:
        assert loader.get().deny == ("(?i)helloworld",)
    server.required_headers = {}
    server.set_body(b"[1, 2]")
    with pytest.raises(ConfigError, match="expected a JSON object of settings, got list"):
        ConfigLoader.from_url(server.url)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.com/x.json", "expected an http:// or https:// URL"),
        ("file:///etc/botguard.json", "expected an http:// or https:// URL"),
        ("http:///x.json", "expected an http:// or https:// URL"),
        ("http://127.0.0.1:99999/x.json", "not a valid port"),
    ],
)
def test_bad_urls_are_config_errors(url: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        ConfigLoader.from_url(url)


def test_a_server_down_at_start_is_a_config_error() -> None:
    server = ConfigServer(b"{}")
    url = server.url
    server.stop()  # bound, then closed: nothing listens there any more
    with pytest.raises(ConfigError, match="ConnectError"):
        ConfigLoader.from_url(url, timeout=2)


def test_logs_and_repr_never_show_credentials(server: ConfigServer) -> None:
    port = server.url.split(":")[2].split("/")[0]
    url = f"http://user:pw@127.0.0.1:{port}/botguard.json?token=s3cret"
    with ConfigLoader.from_url(url) as loader:
        assert loader.source == f"http://127.0.0.1:{port}/botguard.json"
        assert "s3cret" not in repr(loader) and "pw" not in repr(loader)


def test_a_client_you_pass_is_used_and_left_open(server: ConfigServer) -> None:
    client = httpx.Client(headers={"X-Team": "edge"})
    with ConfigLoader.from_url(server.url, ttl=30, client=client) as loader:
        assert loader.get().deny == ("(?i)helloworld",)
    assert server.request_headers[-1]["x-team"] == "edge"
    assert not client.is_closed
    client.close()


def test_bad_timeout_and_headers_are_config_errors(server: ConfigServer) -> None:
    for timeout in (0, -1, math.inf, True, "5"):
        with pytest.raises(ConfigError, match="timeout"):
            ConfigLoader.from_url(server.url, timeout=timeout)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="headers"):
        ConfigLoader.from_url(server.url, headers=["Authorization"])  # type: ignore[arg-type]


def test_a_closed_loader_keeps_its_config_and_stops_refreshing(server: ConfigServer, clock: FrozenClock) -> None:
    loader = ConfigLoader.from_url(server.url, ttl=1, clock=clock)
    config = loader.get()
    loader.close()
    clock.advance(100)
    assert loader.get() is config and loader.remaining() is None
    assert server.requests == 1


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_worker_can_reload_even_if_the_fork_caught_a_check_in_flight(toml_file: Path) -> None:
    # gunicorn --preload: the loader is built in the parent and forked into workers.
    loader = ConfigLoader.from_file(toml_file, ttl=30)
    read_end, write_end = os.pipe()
    with loader._lock:  # a check in flight in the parent at the moment of the fork
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # "multi-threaded fork" on 3.12+
            pid = os.fork()
        if pid == 0:  # pragma: no cover - the child reports through the pipe
            try:
                write(toml_file, 'deny = ["(?i)curl"]\n')
                os.write(write_end, loader.refresh().deny[0].encode())
            finally:
                os._exit(0)
    os.close(write_end)
    ready, _, _ = select.select([read_end], [], [], 30)
    if not ready:  # the child is stuck on the lock it inherited: the bug this test is about
        os.kill(pid, signal.SIGKILL)
    with os.fdopen(read_end, "rb") as pipe:
        answer = pipe.read() if ready else b""
    os.waitpid(pid, 0)
    assert answer == b"(?i)curl"


# --- a hostile or broken source: redirects, slow drips, floods, deep nesting, FIFOs ----------------


def failed_reloads() -> int:
    return int(stats()["config_reloads"]["failed"])


def in_thread(call: Callable[[], object], guard: float = 60.0) -> object:
    """`call()` in a thread, so that a call that never returns fails the test instead of hanging it."""
    outcome: list[object] = []
    failure: list[BaseException] = []

    def target() -> None:
        try:
            outcome.append(call())
        except BaseException as exc:
            failure.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(guard)
    assert not thread.is_alive(), f"{call} did not return within {guard}s"
    if failure:
        raise failure[0]
    return outcome[0]


def test_a_redirect_to_another_origin_is_not_followed_and_gets_no_header(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="botguard")
    token = {"X-Rules-Token": "s3cret"}
    with config_server(good_json("(?i)helloworld")) as ours, config_server(good_json("(?i)mozilla")) as other:
        ours.redirects["/botguard.json"] = other.url
        with pytest.raises(ConfigError, match="redirect to another origin") as info:
            ConfigLoader.from_url(ours.url, headers=token, timeout=5)
        assert other.base() in str(info.value)
        assert other.requests == 0

        # Later, on a refresh: the last good config stays, the other host hears nothing.
        del ours.redirects["/botguard.json"]
        with ConfigLoader.from_url(ours.url, ttl=30, headers=token, timeout=5) as loader:
            good = loader.get()
            ours.redirects["/botguard.json"] = other.url
            failed = failed_reloads()
            assert loader.refresh() is good and good.deny == ("(?i)helloworld",)
            assert failed_reloads() == failed + 1
            assert "redirect to another origin" in reloads(caplog, logging.WARNING)[-1]
        assert other.requests == 0
        # Another port of the same host is another origin too.
        ours.redirects["/botguard.json"] = other.url.replace("127.0.0.1", "localhost")
        with pytest.raises(ConfigError, match="redirect to another origin"):
            ConfigLoader.from_url(ours.url, headers=token, timeout=5)
        assert other.requests == 0


def test_a_redirect_within_the_origin_is_followed_with_the_headers(server: ConfigServer) -> None:
    server.redirects["/botguard.json"] = "/v2/botguard.json?sig=abc"
    server.required_headers = {"X-Rules-Token": "s3cret"}
    with ConfigLoader.from_url(server.url, headers={"X-Rules-Token": "s3cret"}) as loader:
        assert loader.get().deny == ("(?i)helloworld",)
    assert list(server.paths) == ["/botguard.json", "/v2/botguard.json?sig=abc"]
    assert server.request_headers[-1]["x-rules-token"] == "s3cret"
    server.redirects = {f"/{i}": f"/{i + 1}" for i in range(10)}  # a loop of redirects ends
    with pytest.raises(ConfigError, match="more than 5 redirects"):
        ConfigLoader.from_url(server.base() + "/0")


def test_a_client_that_follows_redirects_is_held_to_the_origin_too(server: ConfigServer) -> None:
    with config_server(good_json("(?i)mozilla")) as other, httpx.Client(follow_redirects=True) as client:
        server.redirects["/botguard.json"] = other.url
        with pytest.raises(ConfigError, match="redirect to another origin"):
            ConfigLoader.from_url(server.url, client=client, headers={"X-Rules-Token": "s3cret"})
        assert other.requests == 0


def test_httpx_logs_the_config_fetch_without_its_query_and_the_apps_own_requests_as_they_are(
    server: ConfigServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="httpx")
    with ConfigLoader.from_url(server.url + "?token=s3cret", ttl=30) as loader:
        loader.refresh()
    ours = [r.getMessage() for r in caplog.records if r.name == "httpx"]
    assert len(ours) == 2 and all(f"GET {server.url} " in line for line in ours), ours
    assert not any("s3cret" in r.getMessage() for r in caplog.records)
    caplog.clear()
    with httpx.Client() as client:  # the application's own request, in the same process
        client.get(server.url + "?page=2")
    assert [r.getMessage() for r in caplog.records if r.name == "httpx"][0].startswith(f"HTTP Request: GET {server.url}?page=2 ")


def test_a_slow_drip_source_fails_within_the_timeout_and_refresh_returns(
    server: ConfigServer, caplog: pytest.LogCaptureFixture
) -> None:
    # Headers at once, then one byte every 1.5 s: no single read ever waits 2 s.
    caplog.set_level(logging.INFO, logger="botguard")
    server.drip = 1.5
    with pytest.raises(ConfigError, match=r"no answer within 2s"):
        in_thread(lambda: ConfigLoader.from_url(server.url, timeout=2))
    server.drip = None
    with ConfigLoader.from_url(server.url, ttl=30, timeout=2) as loader:
        good = loader.get()
        server.set_body(good_json("(?i)curl"))
        server.drip = 1.5
        failed = failed_reloads()
        assert in_thread(loader.refresh) is good
        assert failed_reloads() == failed + 1
        assert "no answer within 2s" in reloads(caplog, logging.WARNING)[-1]
        server.drip = None
        assert loader.refresh().deny == ("(?i)curl",)


def test_a_body_that_never_ends_is_refused_at_the_deadline_though_what_came_parses(server: ConfigServer) -> None:
    # The whole settings at once, then a space every 1.5 s and no Content-Length: when the
    # deadline cuts the connection, what came is valid JSON, but not an answer the server finished.
    server.set_body(good_json("EVIL"))
    server.trail = 1.5
    with pytest.raises(ConfigError, match=r"no answer within 2s"):
        in_thread(lambda: ConfigLoader.from_url(server.url, timeout=2))
    server.trail = None
    server.set_body(good_json("(?i)curl"))
    with ConfigLoader.from_url(server.url, ttl=30, timeout=2) as loader:
        good = loader.get()
        server.set_body(good_json("EVIL"))
        server.trail = 1.5
        assert in_thread(loader.refresh) is good  # the last good config stays
        server.trail = None
        assert loader.refresh().deny == ("EVIL",)


@pytest.mark.parametrize("declare_length", [True, False], ids=["content-length", "until-close"])
def test_a_100_mb_answer_is_refused_at_max_bytes(
    server: ConfigServer, caplog: pytest.LogCaptureFixture, declare_length: bool
) -> None:
    caplog.set_level(logging.INFO, logger="botguard")
    server.flood, server.declare_length = 100_000_000, declare_length
    with pytest.raises(ConfigError, match=r"more than max_bytes=4,194,304"):
        ConfigLoader.from_url(server.url, timeout=30)
    server.flood = None
    with ConfigLoader.from_url(server.url, ttl=30, timeout=30, max_bytes=100_000) as loader:
        good = loader.get()
        server.set_body(good_json("(?i)curl"))  # new content, so that no 304 answers first
        server.flood = 100_000_000
        failed = failed_reloads()
        assert loader.refresh() is good
        assert failed_reloads() == failed + 1
        assert "more than max_bytes=100,000" in reloads(caplog, logging.WARNING)[-1]
    # The client hung up long before the end (what the kernel buffered is all that left).
    assert server.flood_sent < 50_000_000


def test_bad_max_bytes_is_a_config_error(server: ConfigServer) -> None:
    for max_bytes in (0, -1, 1.5, True, "10"):
        with pytest.raises(ConfigError, match="max_bytes"):
            ConfigLoader.from_url(server.url, max_bytes=max_bytes)  # type: ignore[arg-type]


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("suffix", [".json", ".toml"])
def test_a_deeply_nested_file_is_a_config_error_not_a_recursion_error(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"deep{suffix}"
    text = '{"deny": %s}' % nested(100_000) if suffix == ".json" else "deny = %s\n" % nested(100_000)
    path.write_text(text)
    with pytest.raises(ConfigError, match="nested too deeply"):
        ConfigLoader.from_file(path)
    write(path, 'deny = ["x"]\n' if suffix == ".toml" else '{"deny": ["x"]}')
    loader = ConfigLoader.from_file(path)
    write(path, text)
    assert loader.refresh().deny == ("x",)  # and on a reload, the last good config stays


def test_a_deeply_nested_mapping_or_url_body_is_a_config_error(server: ConfigServer) -> None:
    deep: list[Any] = []
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(ConfigError):
        ConfigLoader.from_mapping({"deny": deep})
    server.set_body(('{"deny": %s}' % nested(100_000)).encode())
    with pytest.raises(ConfigError, match="nested too deeply"):
        ConfigLoader.from_url(server.url)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs os.mkfifo")
def test_a_fifo_at_the_config_path_never_blocks_get(
    toml_file: Path, clock: FrozenClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="botguard")
    fifo = toml_file.with_name("fifo.toml")
    os.mkfifo(fifo)
    try:
        with pytest.raises(ConfigError, match="is a FIFO, not a regular file"):
            in_thread(lambda: ConfigLoader.from_file(fifo))
        loader = ConfigLoader.from_file(toml_file, ttl=5, clock=clock)
        good = loader.get()
        os.replace(fifo, toml_file)  # the config path is now a FIFO nobody writes to
        clock.advance(5)
        assert in_thread(loader.get) is good
        in_thread(lambda: wait_idle(loader))
        assert in_thread(loader.refresh) is good
        warnings = reloads(caplog, logging.WARNING)
        assert len(warnings) == 2 and all("is a FIFO, not a regular file" in w for w in warnings)
    finally:
        # Should an open be stuck on the FIFO (the bug), a writer lets it go.
        for path in (fifo, toml_file):
            try:
                os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
            except OSError:
                pass


def test_a_big_file_is_rebuilt_off_the_request_path_while_requests_are_served(tmp_path: Path) -> None:
    # 5,000 patterns take a noticeable time to compile. Requests keep being answered, by the config
    # in force, from the moment a check falls due until the new config is in place.
    path = tmp_path / "botguard.json"

    def rules(version: int) -> str:
        return json.dumps({"deny": [f"(?i)scraper{version}x{i}[a-z]+bot" for i in range(5_000)] + [f"(?i)release{version}$"]})

    write(path, rules(0))
    loader = ConfigLoader.from_file(path, ttl=0.001)
    guarded = BotGuardMiddleware(ok_app, config=loader)
    events: list[tuple[str, str]] = []

    class Recorder(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.getMessage().startswith("config reloaded"):
                events.append(("reloaded", record.threadName or ""))

    recorder = Recorder()
    logger = logging.getLogger("botguard")
    logger.addHandler(recorder)
    level = logger.level
    logger.setLevel(logging.INFO)
    try:
        for version in range(1, 3):
            write(path, rules(version))
            served_during_rebuild = 0
            give_up = time.monotonic() + 120  # a test that cannot pass fails rather than hangs
            while sum(event == "reloaded" for event, _ in events) < version:
                assert time.monotonic() < give_up, "the new config was never put in force"
                status = run(guarded, http_scope(ua_headers(f"{AGENT} release{version}"))).status
                if status == 200:  # the old rules still in force: served while the new ones are built
                    served_during_rebuild += 1
                events.append(("request", str(status)))
            assert served_during_rebuild > 0
            assert run(guarded, http_scope(ua_headers(f"{AGENT} release{version}"))).status == 403
    finally:
        logger.removeHandler(recorder)
        logger.setLevel(level)
    rebuilt_in = {thread for event, thread in events if event == "reloaded"}
    assert len([e for e in events if e[0] == "reloaded"]) == 2
    assert threading.current_thread().name not in rebuilt_in and rebuilt_in == {"botguard-config-refresh"}


# -- random documents ------------------------------------------------------------------------

# Keys a settings file may hold (the Config fields and Kong's two names), and some it may not.
_KEYS = st.one_of(
    st.sampled_from(sorted({f.name for f in dataclasses.fields(Config) if f.init} | {"whitelist", "blacklist"})),
    st.text(max_size=8),
)
# What TOML and JSON can both say: scalars, arrays and tables, nested.
_VALUES = st.recursive(
    st.one_of(st.booleans(), st.integers(-(10**6), 10**6), st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=12)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)),
    max_leaves=8,
)
_SETTINGS = st.dictionaries(_KEYS, _VALUES, max_size=5)


def _toml_string(text: str) -> str:
    """`text` as a TOML basic string: quotes, backslashes and control characters escaped."""
    return '"' + "".join(
        "\\" + char if char in '"\\' else f"\\u{ord(char):04x}" if ord(char) < 0x20 or ord(char) == 0x7F else char
        for char in text
    ) + '"'


def _toml_value(value: Any) -> str:
    """`value` as a TOML value, written inline."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(map(_toml_value, value)) + "]"
    return "{" + ", ".join(f"{_toml_string(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"


_DOCUMENTS = st.one_of(
    _SETTINGS.map(lambda settings: ("json", json.dumps(settings))),
    _SETTINGS.map(lambda settings: ("toml", "".join(f"{_toml_string(k)} = {_toml_value(v)}\n" for k, v in settings.items()))),
    st.tuples(st.sampled_from(["json", "toml"]), st.text(max_size=80)),  # whatever text
)


@given(document=_DOCUMENTS)
@settings(max_examples=300, deadline=None)
def test_random_documents_give_a_config_or_a_config_error(tmp_path_factory: pytest.TempPathFactory, document: tuple[str, str]) -> None:
    kind, text = document
    path = tmp_path_factory.mktemp("random") / f"rules.{kind}"
    path.write_text(text, encoding="utf-8")
    try:
        loader = ConfigLoader.from_file(path, ttl=None)
    except ConfigError as exc:
        assert str(exc).startswith(str(path))  # names the file, and says why
    else:
        assert classify("Mozilla/5.0 fuzz", loader.get()) in Verdict


@given(document=_DOCUMENTS)
@settings(max_examples=100, deadline=None)
def test_a_random_document_as_a_reload_keeps_or_replaces_the_config(
    tmp_path_factory: pytest.TempPathFactory, document: tuple[str, str]
) -> None:
    kind, text = document
    path = tmp_path_factory.mktemp("reload") / f"rules.{kind}"
    path.write_text('{"deny": ["(?i)scrapy"]}' if kind == "json" else 'deny = ["(?i)scrapy"]\n', encoding="utf-8")
    loader = ConfigLoader.from_file(path, ttl=30)
    good = loader.get()
    write(path, text)
    try:
        expected: Config | None = ConfigLoader.from_file(path, ttl=None).get()
    except ConfigError:
        expected = None
    after = loader.refresh()  # never raises: a bad file is a failed reload
    assert after is good if expected is None else after.deny == expected.deny
    loader.close()
