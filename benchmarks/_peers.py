"""The detectors the benchmarks compare: botguard's rule sets and the peers installable here.

Each detector is a function from a list of User-Agents to a list of booleans (bot or not), so a
peer that lives in another process (isbot under Node) answers a whole corpus in one call.

Peers, and how to get them (the benchmarks skip, and say so, any that is missing):
    pip install crawlerdetect crawler-user-agents   # Python peers (also in the `bench` extra)
    npm install isbot                               # done by the benchmarks in a temporary folder
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from botguard import Config
from botguard._judge import judge  # noqa: E402
from botguard._patterns import normalize_user_agent

Detector = Callable[[list[str]], list[bool]]
ROOT = Path(__file__).resolve().parent.parent
# The labelled corpus shipped with the project (gzip-compressed TSV; sources and licences in its README).
DEFAULT_DATA = ROOT / "benchmarks" / "data"
Rows = list[tuple[list[str], str]]


def botguard_detector(builtin: str) -> Detector:
    config = Config(builtin=builtin)

    def detect(user_agents: list[str]) -> list[bool]:
        return [judge(config, normalize_user_agent(ua)).verdict.blocked for ua in user_agents]

    return detect


def crawlerdetect_detector() -> Detector | str:
    try:
        from crawlerdetect import CrawlerDetect
    except ImportError:
        return "not installed: pip install crawlerdetect"
    detector = CrawlerDetect()
    return lambda uas: [bool(detector.isCrawler(ua)) for ua in uas]


def crawler_user_agents_detector() -> Detector | str:
    try:
        import crawleruseragents
    except ImportError:
        return "not installed: pip install crawler-user-agents"
    # The package's own matcher, in its default (case-sensitive) mode.
    return lambda uas: [bool(crawleruseragents.is_crawler(ua)) for ua in uas]


_ISBOT_DIR: list[Path] = []


def isbot_dir() -> Path | str:
    """A folder where `require("isbot")` works: $ISBOT_DIR, or a fresh `npm install isbot` in a temp dir."""
    if _ISBOT_DIR:
        return _ISBOT_DIR[0]
    if os.environ.get("ISBOT_DIR"):
        _ISBOT_DIR.append(Path(os.environ["ISBOT_DIR"]))
        return _ISBOT_DIR[0]
    if not (shutil.which("node") and shutil.which("npm")):
        return "node/npm not found"
    folder = Path(tempfile.mkdtemp(prefix="botguard-isbot-"))
    done = subprocess.run(
        ["npm", "install", "--silent", "--no-audit", "--no-fund", "isbot"], cwd=folder, capture_output=True, text=True
    )
    if done.returncode != 0:
        return f"npm install isbot failed: {done.stderr.strip()[:200]}"
    _ISBOT_DIR.append(folder)
    return folder


_ISBOT_ACCURACY_JS = """
const {isbot} = require("isbot");
let input = "";
process.stdin.on("data", (d) => { input += d; });
process.stdin.on("end", () => {
  const uas = JSON.parse(input);
  process.stdout.write(JSON.stringify(uas.map((ua) => isbot(ua))));
});
"""


def isbot_detector() -> Detector | str:
    folder = isbot_dir()
    if isinstance(folder, str):
        return folder

    def detect(user_agents: list[str]) -> list[bool]:
        done = subprocess.run(
            ["node", "-e", _ISBOT_ACCURACY_JS], cwd=folder, input=json.dumps(user_agents),
            capture_output=True, text=True, check=True,
        )
        result: list[bool] = json.loads(done.stdout)
        return result

    return detect


def isbot_version() -> str:
    folder = isbot_dir()
    if isinstance(folder, str):
        return "?"
    manifest = json.loads((Path(folder) / "node_modules" / "isbot" / "package.json").read_text())
    return str(manifest["version"])


def all_detectors() -> tuple[dict[str, Detector], dict[str, str]]:
    """The detectors available here, and the reason each missing one is missing."""
    found: dict[str, Detector] = {
        "botguard default": botguard_detector("default"),
        "botguard kong": botguard_detector("kong"),
    }
    missing: dict[str, str] = {}
    for name, make in (
        ("crawlerdetect", crawlerdetect_detector),
        ("crawler-user-agents", crawler_user_agents_detector),
        ("isbot (node)", isbot_detector),
    ):
        made = make()
        if isinstance(made, str):
            missing[name] = made
        else:
            found[name] = made
    return found, missing


def corpus_files(data: Path, label: str) -> list[Path]:
    """The labelled files of `label` ("bots" or "humans") in `data`: `ua-<label>.tsv` first, then
    every `ua-<label>-<anything>.tsv` by name (the extra collections, or a held-out set), each
    read from its `.gz` where only that is there."""
    found: dict[str, Path] = {}
    for path in data.glob(f"ua-{label}*.tsv*"):  # ordered below
        name = path.name.removesuffix(".gz")
        if name.endswith(".tsv") and (name == f"ua-{label}.tsv" or name.startswith(f"ua-{label}-")):
            if name not in found or path.name == name:  # the plain file wins over its .gz
                found[name] = path
    return sorted(found.values(), key=lambda path: (path.name.removesuffix(".gz") != f"ua-{label}.tsv", path.name))


def read_rows(path: Path) -> Rows:
    """The rows of one labelled file (plain or gzip-compressed TSV): (source tags, User-Agent)."""
    opened = gzip.open(path, "rt", encoding="utf-8") if path.suffix == ".gz" else open(path, encoding="utf-8")
    rows = []
    with opened as handle:
        next(handle, None)  # header
        for line in handle:
            source, tab, ua = line.rstrip("\n").partition("\t")
            if tab:
                rows.append((source.split(","), ua))
    return rows


def load_corpus(data: Path) -> tuple[Rows, Rows]:
    """The bot and human rows of the corpus in `data`, every file of each label (`corpus_files`):
    (source tags, User-Agent)."""
    if not data.is_dir():
        raise SystemExit(f"{data}: no such directory (the labelled corpus: ua-bots*.tsv and ua-humans*.tsv)")
    files = {label: corpus_files(data, label) for label in ("bots", "humans")}
    for label, paths in files.items():
        if not paths:
            raise SystemExit(f"{data}: no ua-{label}.tsv or ua-{label}-*.tsv (plain or .gz)")
    bots = [row for path in files["bots"] for row in read_rows(path)]
    humans = [row for path in files["humans"] for row in read_rows(path)]
    return bots, humans
