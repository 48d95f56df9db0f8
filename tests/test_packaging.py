"""The wheel a user installs: it holds every file of the package, installs apart from the
checkout, imports, and its `botguard` command runs."""

from __future__ import annotations

import email
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--quiet", "-w", str(out)],
        capture_output=True,
        text=True,
    )
    if build.returncode != 0 and "Could not find a version that satisfies" in build.stderr:
        pytest.skip(f"the build backend cannot be installed here: {build.stderr.strip()[-300:]}")
    assert build.returncode == 0, build.stderr
    (path,) = out.glob("botguard-*.whl")
    return path


def test_the_wheel_holds_every_file_of_the_package(wheel: Path) -> None:
    tracked = subprocess.run(["git", "ls-files", "botguard"], cwd=ROOT, capture_output=True, text=True)
    if tracked.returncode != 0:
        pytest.skip("not a git checkout")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    missing = [name for name in tracked.stdout.split() if name not in names]
    assert not missing, f"in the repository but not in the wheel (package-data?): {missing}"


def test_the_wheel_metadata_names_the_extras_users_look_for(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        metadata = email.message_from_bytes(archive.read(name))
    extras = set(metadata.get_all("Provides-Extra") or [])
    assert {"starlette", "fastapi", "django", "flask", "prometheus", "remote", "asgi"} <= extras
    classifiers = metadata.get_all("Classifier") or []
    assert "Typing :: Typed" in classifiers
    assert any(c.startswith("Framework :: Django") for c in classifiers)


def test_the_installed_wheel_imports_and_its_command_runs(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
    )
    # The wheel's files first on the path, run from elsewhere: nothing of the checkout is imported.
    env = {**os.environ, "PYTHONPATH": str(target)}
    code = "import botguard; print(botguard.__file__); print(botguard.classify('curl/8.4.0').name)"
    shown = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, check=True)
    where, verdict = shown.stdout.split()
    assert Path(where).is_relative_to(target)
    assert verdict == "BOT"
    check = subprocess.run(
        [str(target / "bin" / "botguard"), "check", "curl/8.4.0"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert check.returncode == 1, check.stderr  # 1: it would be blocked
    assert "BOT" in check.stdout
