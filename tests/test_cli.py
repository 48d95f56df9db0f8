"""The `botguard` command: check, scan of real log formats, JSON output, exit codes."""

from __future__ import annotations

import gzip
import io
import json
import re
import shutil
import struct
import subprocess
import sys
import tracemalloc
import zlib
from collections import Counter
from html.parser import HTMLParser
from importlib import metadata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from botguard import Explanation, Verdict
from botguard._cli import main, user_agents_of_log
from botguard._scan import TopAgents

ROOT = Path(__file__).resolve().parent.parent

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)
GPTBOT = "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)"
LOG = "\n".join(
    [
        f'203.0.113.5 - - [10/Oct/2025:13:55:36 +0000] "GET / HTTP/1.1" 200 2326 "-" "{CHROME}"',
        f'203.0.113.6 - - [10/Oct/2025:13:55:37 +0000] "GET /a HTTP/1.1" 200 512 "https://x/" "{GPTBOT}"',
        f'203.0.113.6 - - [10/Oct/2025:13:55:38 +0000] "GET /b HTTP/1.1" 200 512 "-" "{GPTBOT}"',
        '203.0.113.7 - - [10/Oct/2025:13:55:39 +0000] "GET /api HTTP/1.1" 200 20 "-" "curl/8.4.0"',
        '203.0.113.8 - - [10/Oct/2025:13:55:40 +0000] "GET /q?a=\\"x\\" HTTP/1.1" 404 - "-" "-"',
        '203.0.113.9 - frank [10/Oct/2025:13:55:41 +0000] "GET /c HTTP/1.0" 200 2326',
    ]
)


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out=out), out.getvalue()


def test_check_prints_verdict_and_rule_and_exits_1_when_something_is_blocked() -> None:
    code, text = run("check", CHROME, "curl/8.4.0")
    assert code == 1
    assert "NONE: no rule matched" in text and "BOT: builtin[" in text and "(botguard, library)" in text


def test_check_exits_0_when_everything_passes() -> None:
    assert run("check", CHROME)[0] == 0
    assert run("check", "curl/8.4.0", "--builtin", "kong")[0] == 0


def test_check_json(tmp_path: Path) -> None:
    config = tmp_path / "botguard.toml"
    config.write_text('allow_categories = ["library"]\ndeny = ["(?i)evil"]\n')
    code, text = run("check", "--json", "--config", str(config), "curl/8.4.0", "EvilScraper/1.0", GPTBOT)
    found = json.loads(text)
    assert code == 1
    assert [f["verdict"] for f in found] == ["NONE", "DENY", "BOT"]
    assert found[0]["list"] == "allow_categories" and found[0]["category"] == "library"
    assert found[1] == {"user_agent": "EvilScraper/1.0", "verdict": "DENY", "blocked": True, "list": "deny",
                        "pattern": "(?i)evil", "index": 0, "source": "deny", "category": None}
    assert found[2]["category"] == "ai"


def test_check_why_shows_what_the_detector_weighed_and_changes_no_verdict() -> None:
    from botguard._patterns import normalize_user_agent
    from botguard._rulesets import builtin_ruleset

    detector = builtin_ruleset("default")
    uptime = CHROME + " UptimeRobot/2.0"  # a list's rule that the browser's words outweigh
    media = "Overcast/3.0 (+http://overcast.fm/; iOS podcast app)"
    gitlab = "gitlab-runner 17.8.3 (go1.23.2; linux/amd64)"
    agents = ["Dendrite/1.2.3", uptime, media, "curl/8.4.0", CHROME, gitlab, "Dendrite/0.8.7"]
    code, text = run("check", "--why", *agents)
    plain_code, plain = run("check", *agents)
    # --why adds one line to each User-Agent and changes nothing else, the exit code included.
    assert code == plain_code == 1
    assert [line for line in text.splitlines() if not line.startswith("  weighed: ")] == plain.splitlines()
    lines = [line.removeprefix("  weighed: ") for line in text.splitlines() if line.startswith("  weighed: ")]
    assert len(lines) == len(agents)
    assert re.fullmatch(r"score \d\.\d\d < 3\.50 without a rule: dendrite \+\d\.\d\d", lines[0])  # its word alone
    assert re.match(r"score 0\.\d\d < 1\.00 with a rule of crawler-user-agents: uptimerobot \+", lines[1])
    assert "(rule of crawler-user-agents) +" in lines[1] and lines[1].endswith("more)")
    assert ">= 1.00 with a rule of crawler-user-agents, but people's media software speaks for it" in lines[2]
    assert lines[3] == "nothing: a probe or a named rule decides alone"
    assert lines[4].startswith("nothing: a major browser's own string")
    assert lines[5].startswith("score ") and " >= 3.50 without a rule: " in lines[5]
    assert " >= 3.50 without a rule: " in lines[6] and "(a pre-release version alone) +" in lines[6]

    # JSON carries every feature, and they add up to the score the detector weighs.
    found = json.loads(run("check", "--why", "--json", *agents)[1])
    for row in found:
        evidence = detector.evidence(normalize_user_agent(row["user_agent"]))
        assert evidence is not None and row["evidence"]["step"] == evidence.step
        if evidence.step == "weighed":
            weighed = row["evidence"]
            assert weighed["score"] == round(evidence.score or 0.0, 3)
            assert abs(sum(weight for _, weight in weighed["features"]) - weighed["score"]) < 0.01
            assert (weighed["score"] >= weighed["threshold"] and not weighed["spoken_for"]) == (row["verdict"] == "BOT")
    assert found[2]["evidence"]["rule"] == {"pattern": "Overcast\\/", "source": "crawler-user-agents"}

    # A first-match list weighs nothing; without a list there is nothing to weigh.
    assert run("check", "--why", "--builtin", "kong", "curl/8.4.0")[1].endswith("  weighed: nothing: the kong list takes its first match\n")
    assert run("check", "--why", "--builtin", "none", "curl/8.4.0")[1].endswith("  weighed: nothing: no built-in list\n")
    assert json.loads(run("check", "--why", "--json", "--builtin", "kong", "curl/8.4.0")[1])[0]["evidence"] is None


def test_the_docs_why_example_is_what_check_prints() -> None:
    import shlex

    page = (Path(__file__).resolve().parent.parent / "docs" / "cli.md").read_text("utf-8")
    block = page.split("```console\n$ botguard check --why ", 1)[1].split("```", 1)[0]
    command, shown = block.split("\n", 1)
    assert run("check", "--why", *shlex.split(command)) == (0 if "BOT:" not in shown else 1, shown)


def test_check_prints_a_crawler_claim_as_explain_says_it(tmp_path: Path) -> None:
    # Google's claim pattern is longer than a terminal line shows: cut, it must not hide the claim.
    config = tmp_path / "verify.toml"
    config.write_text('verify = ["google"]\n')
    code, text = run("check", "--config", str(config), "Googlebot/2.1 (+http://www.google.com/bot.html)")
    assert code == 1 and "SPOOFED: claims to be google (unverified; verify[0])" in text


def test_config_file_tables_and_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[tool.botguard]\nbuiltin = "kong"\n')
    assert run("check", "--config", str(pyproject), "curl/8.4.0")[0] == 0
    as_json = tmp_path / "c.json"
    as_json.write_text(json.dumps({"botguard": {"deny": ["curl"]}}))
    assert run("check", "--config", str(as_json), "curl/8.4.0")[0] == 1
    # Kong's plugin entity, as the loader reads it (docs/kong.md).
    kong = tmp_path / "kong-plugin.json"
    kong.write_text(json.dumps({"name": "bot-detection", "enabled": True, "config": {"whitelist": None, "blacklist": ["(?i)curl"]}}))
    assert run("check", "--config", str(kong), "curl/8.4.0")[0] == 1
    bad = tmp_path / "bad.toml"
    bad.write_text('allow_categories = ["robots"]\n')
    assert run("check", "--config", str(bad), "x")[0] == 2
    assert "unknown category 'robots'" in capsys.readouterr().err
    assert run("check", "--config", str(tmp_path / "missing.toml"), "x")[0] == 2
    assert run("check")[0] == 2  # no User-Agent given: usage error


def test_log_lines_are_read_in_every_format() -> None:
    agents = list(user_agents_of_log(LOG.splitlines() + ["", "Googlebot/2.1 (+http://www.google.com/bot.html)"]))
    assert agents == [CHROME, GPTBOT, GPTBOT, "curl/8.4.0", None, None, "Googlebot/2.1 (+http://www.google.com/bot.html)"]


def test_scan_counts_verdicts_categories_and_top_agents(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    log.write_text(LOG + "\n")
    code, text = run("scan", str(log), "--json")
    report = json.loads(text)
    assert code == 0
    assert report["requests"] == 6
    assert report["verdicts"] == {"NONE": 3, "ALLOW": 0, "DENY": 0, "BOT": 3, "SPOOFED": 0, "FORGED": 0}
    assert report["categories"] == {"ai": 2, "library": 1}
    assert report["top_blocked"][0]["user_agent"] == GPTBOT and report["top_blocked"][0]["count"] == 2
    assert {a["user_agent"] for a in report["top_allowed"]} == {CHROME, "<no User-Agent>"}
    code, text = run("scan", str(log), "--config", str(_write(tmp_path, 'allow_categories = ["library"]')))
    assert code == 0 and "top blocked agents" in text and "admitted by allow_categories" not in text.split("top blocked")[1].split("top allowed")[0]


def _write(folder: Path, text: str) -> Path:
    path = folder / "cfg.toml"
    path.write_text(text)
    return path


def test_scan_of_a_missing_file_exits_2() -> None:
    assert run("scan", "/nonexistent/access.log")[0] == 2


def test_console_script_reads_stdin() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "botguard", "scan", "-"], input=LOG, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "6 requests" in done.stdout and "GPTBot" in done.stdout


# --- scan: hostile logs, any size, any format; the report -----------------------------------------

ESCAPES = "curl/8.4.0 \x1b]0;owned\x07\x1b[2J\u202eevil"


def test_scan_escapes_terminal_sequences_and_bidi_controls(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    log.write_text(f'203.0.113.9 - - [10/Oct/2025:13:55:41 +0000] "GET / HTTP/1.1" 200 1 "-" "{ESCAPES}"\n')
    code, text = run("scan", str(log))
    assert code == 0
    assert not any(c in text for c in "\x1b\x07\u202e"), repr(text)
    assert "curl/8.4.0 \\x1b]0;owned\\x07\\x1b[2J\\u202eevil" in text  # as the middleware's log lines write it
    code, text = run("check", ESCAPES)
    assert not any(c in text for c in "\x1b\x07\u202e"), repr(text)


def distinct_agents(path: Path, count: int) -> Path:
    with path.open("w") as file:
        for i in range(count):
            file.write(f"Mozilla/5.0 (X11; Linux x86_64) Unique/{i}.{i * 7919 % 10007}\n")
    return path


def scan_peak(path: Path, *argv: str) -> tuple[int, dict[str, object]]:
    tracemalloc.start()
    try:
        code, text = run("scan", str(path), "--builtin", "none", "--json", *argv)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert code == 0
    return peak, json.loads(text)


def test_scan_memory_stays_bounded_however_many_distinct_agents(tmp_path: Path) -> None:
    small_peak, small = scan_peak(distinct_agents(tmp_path / "small.log", 20_000), "--max-agents", "1000")
    big_peak, big = scan_peak(distinct_agents(tmp_path / "big.log", 200_000), "--max-agents", "1000")
    assert big["requests"] == 200_000 and big["approximate"] is True
    # Ten times the distinct agents, about the same memory (the verdict cache is bounded too).
    assert big_peak < small_peak * 1.5, (small_peak, big_peak)


@given(st.lists(st.integers(0, 40).map(str), max_size=300), st.integers(1, 8))
def test_top_agents_is_space_saving(stream: list[str], capacity: int) -> None:
    found = Explanation(Verdict.NONE, None, None)
    top = TopAgents(capacity)
    true: Counter[str] = Counter()
    for agent in stream:
        top.add(agent, found)
        true[agent] += 1
        assert len(top) <= capacity
    kept = top.most_common(capacity)
    smallest = min((count for _, count, _, _ in kept), default=0)
    for agent, count, error, _ in kept:
        assert count - error <= true[agent] <= count  # never under, over by at most `error`
    for agent, count in true.items():
        if count > smallest:  # whatever came more often than the smallest kept count is kept
            assert agent in {a for a, _, _, _ in kept}
    if len(true) <= capacity:
        assert {a: c for a, c, _, _ in kept} == dict(true) and not top.approximate


def test_a_deeply_nested_config_is_exit_2_with_a_clear_message(tmp_path: Path) -> None:
    for name, text in (("deep.toml", "deny = " + "[" * 50_000 + "]" * 50_000), ("deep.json", '{"deny": ' + "[" * 50_000 + "]" * 50_000 + "}")):
        config = tmp_path / name
        config.write_text(text)
        done = subprocess.run(
            [sys.executable, "-m", "botguard", "check", "--config", str(config), "curl/8.4.0"],
            capture_output=True, text=True, timeout=60,
        )
        assert done.returncode == 2, done.stderr
        assert done.stderr == f"botguard: {config}: nested too deeply to be a config (a table of settings whose values are lists of strings)\n"


def test_version_comes_from_the_package_metadata() -> None:
    done = subprocess.run([sys.executable, "-m", "botguard", "--version"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    assert done.stdout == f"botguard {metadata.version('botguard')}\n"


def test_scan_reads_gzip_from_a_file_and_from_stdin(tmp_path: Path) -> None:
    packed = gzip.compress((LOG + "\n").encode())
    log = tmp_path / "access.log.1"  # no .gz: the content says what it is
    log.write_bytes(packed)
    report = json.loads(run("scan", str(log), "--json")[1])
    assert report["requests"] == 6 and report["verdicts"]["BOT"] == 3
    done = subprocess.run([sys.executable, "-m", "botguard", "scan", "-", "--json"], input=packed, capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["requests"] == 6
    log.write_bytes(packed[: len(packed) // 2])  # a truncated archive is a read error, exit 2
    assert run("scan", str(log))[0] == 2


def test_scan_reads_json_lines_with_a_configurable_field(tmp_path: Path) -> None:
    lines = [
        {"ts": 1760104536, "request": {"headers": {"user-agent": GPTBOT}}},
        {"ts": 1760108136, "request": {"headers": {"user-agent": CHROME}}},
        {"ts": 1760108137, "request": {"headers": {}}},
    ]
    log = tmp_path / "app.jsonl"
    log.write_text("\n".join(json.dumps(line) for line in lines) + "\nnot json\n")
    report = json.loads(run("scan", str(log), "--json", "--format", "json", "--ua-field", "request.headers.user-agent", "--time-field", "ts")[1])
    assert report["requests"] == 3 and report["unparsed"] == 1
    assert report["verdicts"]["BOT"] == 1 and report["verdicts"]["NONE"] == 2
    assert [h["hour"] for h in report["hours"]] == ["2025-10-10T13:00Z", "2025-10-10T14:00Z"]
    default_field = tmp_path / "default.jsonl"
    default_field.write_text(json.dumps({"time": "2025-10-10T13:55:36+02:00", "user_agent": "curl/8.4.0"}) + "\n")
    report = json.loads(run("scan", str(default_field), "--json")[1])  # auto format, usual names
    assert report["verdicts"]["BOT"] == 1 and report["hours"][0]["hour"] == "2025-10-10T11:00Z"


def test_scan_counts_per_hour_in_utc_and_what_allow_categories_would_change(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    log.write_text(LOG.replace("13:55:39 +0000", "15:55:39 +0200") + "\n")
    report = json.loads(run("scan", str(log), "--json")[1])
    assert report["hours"][0] == {"hour": "2025-10-10T13:00Z", "hour_index": report["hours"][0]["hour_index"], "NONE": 3, "BOT": 3}
    assert report["what_if"]["allow_categories"] == [{"category": "ai", "requests": 2}, {"category": "library", "requests": 1}]
    # Of the passing requests, the Chrome one claims a browser the header check would check.
    assert report["what_if"]["check_headers"] == {"enabled": False, "requests": 1, "browsers": {"Chrome 120": 1}}
    assert report["top_blocked"][0]["rule"].startswith("builtin[")


def test_combined_format_counts_what_it_cannot_read(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    log.write_text(LOG + "\ngarbage line\n" + "x" * 200_000 + "\n")
    report = json.loads(run("scan", str(log), "--json", "--format", "combined")[1])
    assert report["requests"] == 6 and report["unparsed"] == 2


def test_progress_bar_only_on_request_or_on_a_terminal(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    log.write_text((LOG + "\n") * 1000)
    piped = subprocess.run([sys.executable, "-m", "botguard", "scan", str(log)], capture_output=True, text=True, timeout=120)
    assert piped.returncode == 0 and piped.stderr == ""
    asked = subprocess.run([sys.executable, "-m", "botguard", "scan", str(log), "--progress"], capture_output=True, text=True, timeout=120)
    assert asked.returncode == 0 and "%" in asked.stderr and "lines" in asked.stderr and "\x1b[K" in asked.stderr
    assert asked.stdout == piped.stdout


def write_report(tmp_path: Path, log_text: str) -> tuple[Path, str]:
    log = tmp_path / "access.log"
    log.write_text(log_text)
    page = tmp_path / "report.html"
    code, _ = run("scan", str(log), "--html", str(page))
    assert code == 0
    return page, page.read_text(encoding="utf-8")


class Assets(HTMLParser):
    """Every tag and every attribute that could load something."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.loads: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        for name, value in attrs:
            if name in ("src", "href", "srcset", "action", "data", "poster") or (value and "url(" in value):
                self.loads.append(f"{tag} {name}={value}")


def test_the_html_report_is_one_self_contained_escaped_page(tmp_path: Path) -> None:
    hostile = f'203.0.113.9 - - [10/Oct/2025:14:01:00 +0000] "GET / HTTP/1.1" 200 1 "-" "{ESCAPES}<script>alert(1)</script>"\n'
    _, page = write_report(tmp_path, LOG + "\n" + hostile)
    assets = Assets()
    assets.feed(page)
    assert assets.loads == [] and "script" not in assets.tags and "url(" not in page
    assert "default-src 'none'" in page  # and the browser is told to load nothing
    assert {"svg", "rect", "table"} <= assets.tags
    assert not any(c in page for c in "\x1b\x07\u202e")
    assert "\\x1b]0;owned\\x07\\x1b[2J\\u202eevil&lt;script&gt;" in page


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(chromium() is None, reason="needs Chromium (Debian: apt-get install chromium; .ci/run installs it)")
def test_the_html_report_renders_in_chromium(tmp_path: Path) -> None:
    sample = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "sample_access_log.py"), "--requests", "3000"],
        capture_output=True, text=True, timeout=120, check=True,
    ).stdout
    page, _ = write_report(tmp_path, sample)
    browser = chromium()
    assert browser is not None
    flags = [
        browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]
    shot = tmp_path / "report.png"
    done = subprocess.run([*flags, f"--screenshot={shot}", "--window-size=1100,1600", page.as_uri()], capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    width, height, colours = png_summary(shot.read_bytes())
    assert (width, height) == (1100, 1600)
    # A drawn page, not a blank or an error page: the verdict colours of the charts are on it.
    assert {(0x3A, 0x7C, 0xA5), (0xC1, 0x12, 0x1F)} <= colours
    dom = subprocess.run([*flags, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0
    assert dom.stdout.count("<rect") > 40 and "Top blocked agents" in dom.stdout


def png_summary(data: bytes) -> tuple[int, int, set[tuple[int, int, int]]]:
    """Width, height and the set of colours of an 8-bit RGB or RGBA PNG (what Chromium writes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height, depth, kind = struct.unpack(">IIBB", data[16:26])
    assert depth == 8 and kind in (2, 6)
    chunks, pos = [], 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        if data[pos + 4 : pos + 8] == b"IDAT":
            chunks.append(data[pos + 8 : pos + 8 + length])
        pos += 12 + length
    raw = zlib.decompress(b"".join(chunks))
    channels = 3 if kind == 2 else 4
    stride = width * channels
    previous = bytearray(stride)
    colours: set[tuple[int, int, int]] = set()
    for row in range(height):
        start = row * (stride + 1)
        method, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if method == 1:
                line[i] = (line[i] + left) & 0xFF
            elif method == 2:
                line[i] = (line[i] + up) & 0xFF
            elif method == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif method == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
        if row % 4 == 0:  # every fourth row is plenty to find the charts' colours
            colours.update(zip(line[0::channels], line[1::channels], line[2::channels]))
        previous = line
    return width, height, colours
