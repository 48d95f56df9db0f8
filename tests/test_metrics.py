"""botguard's Prometheus metrics: explicit registration, and totals across workers under
prometheus_client's multiprocess mode (real uvicorn --workers 2 and gunicorn -w 2)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from prometheus_client import CollectorRegistry, generate_latest, multiprocess
from prometheus_client.parser import text_string_to_metric_families

import botguard
import botguard.prometheus

from tests.support.servers import ROOT, free_port, serve

from tests.support.agents import CHROME, SCRAPY

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def botguard_samples(text: str) -> Samples:
    """name and sorted labels -> value, for botguard's samples of a scrape."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name.startswith("botguard_"):
                found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def requests_total(samples: Samples, verdict: str, action: str) -> float:
    return samples.get(("botguard_requests_total", (("action", action), ("verdict", verdict))), 0.0)


def run_python(code: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    inherited = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    full_env = {**inherited, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run([sys.executable, "-c", code], env=full_env, capture_output=True, text=True, timeout=60)


# --- registration -------------------------------------------------------------------------------


def test_importing_botguard_registers_nothing() -> None:
    done = run_python(
        "import sys, botguard\n"
        "assert 'botguard.prometheus' not in sys.modules and 'prometheus_client' not in sys.modules\n"
        "from prometheus_client import REGISTRY, generate_latest\n"
        "assert b'botguard_' not in generate_latest(REGISTRY)\n"
        "import botguard.prometheus\n"
        "assert b'botguard_' not in generate_latest(REGISTRY)\n"
        "botguard.prometheus.register()\n"
        "assert b'botguard_requests_total' in generate_latest(REGISTRY)\n"
        "print('ok')\n"
    )
    assert done.stdout.strip() == "ok", done.stderr


def test_botguard_prometheus_is_reachable_after_a_plain_import() -> None:
    done = run_python("import botguard\nbotguard.prometheus.register()\nprint(botguard.prometheus.__name__)")
    assert done.stdout.strip() == "botguard.prometheus", done.stderr


def test_register_twice_is_harmless_and_takes_a_registry_of_your_own() -> None:
    botguard.prometheus.register()
    botguard.prometheus.register()
    registry = CollectorRegistry()
    botguard.prometheus.register(registry)
    botguard.prometheus.register(registry)
    samples = botguard_samples(generate_latest(registry).decode())
    assert requests_total(samples, "bot", "blocked") == botguard.stats()["requests"]["bot"]["blocked"]


def test_stats_says_its_counts_are_this_process_s() -> None:
    snapshot = botguard.stats()
    assert snapshot["per_process"] is True and snapshot["pid"] == os.getpid()
    assert snapshot["multiprocess_dir"] is None  # this test process is not in multiprocess mode


def test_multiprocess_mode_copies_the_counters_for_multiprocesscollector(tmp_path: Path) -> None:
    # In one process, the copy made at exit: a worker that stops keeps its counts in the totals.
    script = (
        "import asyncio, json, os, botguard, botguard.prometheus\n"
        "from botguard import BotGuardMiddleware, Config\n"
        "from prometheus_client import REGISTRY, generate_latest\n"
        "botguard.prometheus.register()\n"
        "async def ok(scope, receive, send):\n"
        "    await send({'type': 'http.response.start', 'status': 200, 'headers': []})\n"
        "    await send({'type': 'http.response.body', 'body': b''})\n"
        "async def noop(message): pass\n"
        "guarded = BotGuardMiddleware(ok, config=Config(deny=['(?i)scrapy']))\n"
        "async def main():\n"
        "    for ua in [b'Scrapy/2.11'] * 3 + [b'Mozilla/5.0 Firefox/120.0'] * 4:\n"
        "        await guarded({'type': 'http', 'path': '/', 'headers': [(b'user-agent', ua)]}, None, noop)\n"
        "asyncio.run(main())\n"
        "snapshot = botguard.stats()\n"
        "assert b'botguard_' not in generate_latest(REGISTRY)  # per-process numbers would pose as totals\n"
        "print(json.dumps([snapshot['multiprocess_dir'], snapshot['pid']]))\n"
    )
    for _ in range(2):  # two processes, one after the other, as two workers
        done = run_python(script, env={"PROMETHEUS_MULTIPROC_DIR": str(tmp_path)})
        assert done.returncode == 0, done.stderr
        directory, pid = json.loads(done.stdout)
        assert directory == str(tmp_path) and (tmp_path / f"counter_{pid}.db").exists()
    samples = scrape_directory(tmp_path)
    assert requests_total(samples, "deny", "blocked") == 6
    assert requests_total(samples, "none", "passed") == 8
    assert requests_total(samples, "deny", "monitored") == 0  # there from the start, at zero
    assert samples[("botguard_cache_misses_total", ())] == 4
    assert samples[("botguard_cache_hits_total", ())] == 10
    assert samples[("botguard_decision_seconds_count", ())] == 4
    assert samples[("botguard_decision_seconds_bucket", (("le", "+Inf"),))] == 4
    assert samples[("botguard_decision_seconds_sum", ())] > 0
    assert samples[("botguard_config_reloads_total", (("result", "failed"),))] == 0


def scrape_directory(path: Path) -> Samples:
    """What prometheus_client's documented recipe serves for the files in `path`."""
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=str(path))
    return botguard_samples(generate_latest(registry).decode())


# --- real servers with two workers ----------------------------------------------------------------


def wait_for(predicate: Callable[[], bool], timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def drive_both_workers(base: str) -> tuple[int, int, set[int]]:
    """Browser and Scrapy requests on new connections until both workers have answered some;
    how many of each were sent, and the pids that answered. The apps allow this browser by name
    (verdict allow): the readiness probe and the scrapes are other agents, counted elsewhere."""
    browsers = scrapers = 0
    pids: dict[int, int] = {}
    with httpx.Client(base_url=base, timeout=10) as client:
        while browsers < 40 or (len(pids) < 2 or min(pids.values()) < 5) and browsers < 2000:
            answer = client.get("/", headers={"user-agent": CHROME, "connection": "close"})
            assert answer.status_code == 200
            pid = answer.json()["pid"]
            pids[pid] = pids.get(pid, 0) + 1
            browsers += 1
            assert client.get("/", headers={"user-agent": SCRAPY, "connection": "close"}).status_code == 403
            scrapers += 1
    return browsers, scrapers, set(pids)


def check_totals_across_workers(argv: list[str], port: int, directory: Path) -> None:
    env = {"PROMETHEUS_MULTIPROC_DIR": str(directory)}
    with serve(argv, port, env=env, probe="/metrics") as base:
        browsers, scrapers, pids = drive_both_workers(base)
        assert len(pids) == 2, f"only {pids} answered"

        def scraped() -> Samples:
            return botguard_samples(httpx.get(base + "/metrics").text)

        def exact() -> bool:
            samples = scraped()
            return (requests_total(samples, "allow", "passed"), requests_total(samples, "deny", "blocked")) == (
                browsers,
                scrapers,
            )

        # Each worker copies its counts once a second: the totals arrive within a few seconds.
        assert wait_for(exact), (browsers, scrapers, scraped())
        for pid in pids:
            assert (directory / f"counter_{pid}.db").exists()
        # More requests, then an immediate stop: each worker copies what it has left at exit.
        with httpx.Client(base_url=base) as client:
            for _ in range(10):
                assert client.get("/", headers={"user-agent": SCRAPY, "connection": "close"}).status_code == 403
        scrapers += 10
    samples = scrape_directory(directory)
    assert requests_total(samples, "allow", "passed") == browsers
    assert requests_total(samples, "deny", "blocked") == scrapers


def test_uvicorn_with_two_workers_reports_the_totals(tmp_path: Path) -> None:
    port = free_port()
    argv = [sys.executable, "-m", "uvicorn", "tests.apps.multiprocess_app:app", "--host", "127.0.0.1",
            "--port", str(port), "--workers", "2", "--log-level", "warning"]
    # uvicorn ends a worker by raising SIGTERM again once it has shut down, so no exit handler
    # runs: the copy at exit is made when botguard's middleware sees the lifespan shutdown.
    check_totals_across_workers(argv, port, tmp_path)


@pytest.mark.parametrize("preload", [False, True], ids=["import-per-worker", "preload"])
def test_gunicorn_with_two_workers_reports_the_totals(tmp_path: Path, preload: bool) -> None:
    port = free_port()
    argv = [sys.executable, "-m", "gunicorn", "tests.apps.multiprocess_app:wsgi_app", "-b", f"127.0.0.1:{port}",
            "-w", "2", "--log-level", "warning", *(["--preload"] if preload else [])]
    check_totals_across_workers(argv, port, tmp_path)


def test_django_under_gunicorn_with_two_workers_reports_the_totals(tmp_path: Path) -> None:
    port = free_port()
    argv = [sys.executable, "-m", "gunicorn", "tests.apps.django_metrics_site:application", "-b", f"127.0.0.1:{port}",
            "-w", "2", "--log-level", "warning"]
    check_totals_across_workers(argv, port, tmp_path)


def test_a_scrape_skips_a_file_another_process_is_still_creating(tmp_path: Path) -> None:
    # prometheus_client creates a process's file and only then sizes it: a scrape that reads the
    # empty file fails whole, and a process killed in that moment leaves it behind for good.
    from prometheus_client.mmap_dict import MmapedDict, mmap_key

    written = MmapedDict(str(tmp_path / "counter_101.db"))
    key = mmap_key("botguard_requests", "botguard_requests_total", ["verdict", "action"], ["deny", "blocked"], "h")
    written.write_value(key, 7.0, 0.0)
    written.close()
    (tmp_path / "counter_102.db").touch()  # another worker's, created and not yet sized

    registry = CollectorRegistry()
    botguard.prometheus.MultiProcessCollector(registry, path=str(tmp_path))
    assert requests_total(botguard_samples(generate_latest(registry).decode()), "deny", "blocked") == 7.0
    # The file that was empty counts once it holds values.
    later = MmapedDict(str(tmp_path / "counter_102.db"))
    later.write_value(key, 2.0, 0.0)
    later.close()
    assert requests_total(botguard_samples(generate_latest(registry).decode()), "deny", "blocked") == 9.0
