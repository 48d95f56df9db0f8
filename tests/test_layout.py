"""The package's shape: modules of a readable size, `re`'s private parser behind one module, and a
core that imports no web framework."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "botguard"
MODULES = sorted(PACKAGE.rglob("*.py"))


def test_no_module_is_over_450_lines() -> None:
    sizes = {str(path.relative_to(PACKAGE)): len(path.read_text("utf-8").splitlines()) for path in MODULES}
    assert len(sizes) > 30
    assert {name: size for name, size in sizes.items() if size > 450} == {}


def test_only_one_module_imports_res_private_parser() -> None:
    private = re.compile(r"^\s*(?:from re import _parser|import re\._parser|from re\._parser import)", re.MULTILINE)
    importing = [str(path.relative_to(PACKAGE)) for path in MODULES if private.search(path.read_text("utf-8"))]
    assert importing == ["_regex_analysis.py"]


def test_the_core_imports_no_web_framework() -> None:
    core = "botguard, botguard._detector, botguard._loader, botguard._cache, botguard.verify, botguard.testing"
    frameworks = ("starlette", "fastapi", "django", "falcon", "flask", "httpx", "prometheus_client")
    done = subprocess.run(
        [sys.executable, "-c", f"import sys, {core}; print(sorted(set(sys.modules) & set({frameworks!r})))"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == "[]", done.stderr
