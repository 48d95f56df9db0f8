"""The `botguard` command: check, scan of real log formats, JSON output, exit codes."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from botguard._cli import main, user_agents_of_log

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


def test_config_file_tables_and_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[tool.botguard]\nbuiltin = "kong"\n')
    assert run("check", "--config", str(pyproject), "curl/8.4.0")[0] == 0
    as_json = tmp_path / "c.json"
    as_json.write_text(json.dumps({"botguard": {"deny": ["curl"]}}))
    assert run("check", "--config", str(as_json), "curl/8.4.0")[0] == 1
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
