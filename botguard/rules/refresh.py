"""Refresh the vendored pattern lists from their maintained sources.

    pip install -U crawler-user-agents          # the PyPI package of monperrus/crawler-user-agents
    pip install -U crawlerdetect                # the PyPI port of JayBizzle/Crawler-Detect's lists
    (cd "$(mktemp -d)" && npm pack isbot && tar xzf isbot-*.tgz && echo "$PWD/package")
    python -m botguard.rules.refresh --isbot DIR_PRINTED_ABOVE
    python scripts/build_detector.py            # the model weighs the lists' rules: rebuild it
    python benchmarks/accuracy.py               # then measure before committing the new lists

Arguments:
    --isbot: an unpacked isbot npm package (node reads its exported `list`); omit to keep isbot as is.
    --skip-crawler-user-agents: keep the crawler-user-agents snapshot as it is.
    --skip-crawlerdetect: keep the Crawler-Detect snapshot as it is.

Only the patterns and their tags are kept; each file records the source, version and licence.
"""

from __future__ import annotations

import argparse
import importlib
import json
import subprocess
from importlib import metadata, resources
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _write(name: str, payload: dict[str, object]) -> None:
    path = HERE / name
    path.write_text(json.dumps(payload, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {path.name}: {len(payload['patterns'])} patterns, version {payload['version']}")  # type: ignore[arg-type]


def refresh_crawler_user_agents() -> None:
    """Copy patterns and tags from the installed `crawler-user-agents` package."""
    data = json.loads(resources.files("crawleruseragents").joinpath("crawler-user-agents.json").read_text("utf-8"))
    _write(
        "crawler_user_agents.json",
        {
            "source": "https://github.com/monperrus/crawler-user-agents (PyPI: crawler-user-agents)",
            "version": metadata.version("crawler-user-agents"),
            "license": "MIT",
            "patterns": [{"pattern": entry["pattern"], "tags": entry.get("tags", [])} for entry in data],
        },
    )
    licence = _package_licence("crawler-user-agents")
    if licence is not None:
        (HERE / "LICENSE-crawler-user-agents.txt").write_text(licence, encoding="utf-8")


def _package_licence(name: str) -> str | None:
    """The text of the installed package `name`'s LICENSE file, or None when it ships none."""
    found = next((f for f in metadata.distribution(name).files or () if f.name == "LICENSE"), None)
    return None if found is None else found.read_text("utf-8")


def refresh_crawlerdetect() -> None:
    """Copy the crawler patterns of Crawler-Detect from the installed `crawlerdetect` package, the
    Python port that carries Crawler-Detect's lists unchanged (its exclusions are not kept: the
    detector weighs the words of a browser's string instead of deleting them)."""
    data = importlib.import_module("crawlerdetect.providers.crawlers").data
    _write(
        "crawlerdetect.json",
        {
            "source": "https://github.com/JayBizzle/Crawler-Detect (PyPI port: crawlerdetect, "
            "https://github.com/moskrc/crawlerdetect)",
            "version": metadata.version("crawlerdetect"),
            "license": "MIT",
            "patterns": list(data),
        },
    )
    port = (_package_licence("crawlerdetect") or "").strip()
    (HERE / "LICENSE-crawlerdetect.txt").write_text(
        "The patterns are Crawler-Detect's (https://github.com/JayBizzle/Crawler-Detect), as the\n"
        "crawlerdetect package carries them. Crawler-Detect's licence:\n\n"
        + _CRAWLER_DETECT_LICENCE
        + ("\n\nThe crawlerdetect package's licence:\n\n" + port if port else "")
        + "\n",
        encoding="utf-8",
    )


_CRAWLER_DETECT_LICENCE = """The MIT License (MIT)

Copyright (c) 2015-2018 Mark Beech

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE."""


def refresh_isbot(package_dir: Path) -> None:
    """Read the exported pattern list of an unpacked isbot npm package with node."""
    manifest = json.loads((package_dir / "package.json").read_text("utf-8"))
    script = f"process.stdout.write(JSON.stringify(require({json.dumps(str(package_dir))}).list))"
    patterns = json.loads(subprocess.run(["node", "-e", script], check=True, capture_output=True, text=True).stdout)
    _write(
        "isbot.json",
        {
            "source": "https://github.com/omrilotan/isbot (npm: isbot)",
            "version": manifest["version"],
            "license": manifest.get("license", "Unlicense"),
            "patterns": patterns,
        },
    )
    (HERE / "LICENSE-isbot.txt").write_text((package_dir / "LICENSE").read_text("utf-8"), encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--isbot", type=Path, help="an unpacked isbot npm package")
    parser.add_argument("--skip-crawler-user-agents", action="store_true")
    parser.add_argument("--skip-crawlerdetect", action="store_true")
    args = parser.parse_args(argv)
    if not args.skip_crawler_user_agents:
        refresh_crawler_user_agents()
    if not args.skip_crawlerdetect:
        refresh_crawlerdetect()
    if args.isbot is not None:
        refresh_isbot(args.isbot)


if __name__ == "__main__":
    main()
