"""The wheel carries everything the bot reads at run time, and the bot finds it there
from any folder, never from the checkout it was built from."""

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Built from a copy so the checkout gains no build/ folder, and so the build can only
    # see what the Dockerfile copies too.
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    for name in ("bot", "migrations", "runbooks", "policy"):
        shutil.copytree(REPO / name, source / name,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    out = tmp_path_factory.mktemp("wheelhouse")
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--no-index", "-w", str(out), str(source)],
        capture_output=True, text=True, timeout=120, check=False)
    assert built.returncode == 0, built.stdout + built.stderr
    (found,) = out.glob("incident_bot-*.whl")
    return found


@pytest.fixture(scope="module")
def contents(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def test_the_wheel_carries_the_migrations(contents):
    assert {"bot/migrations/env.py", "bot/migrations/script.py.mako"} <= contents
    versions = {f"bot/migrations/versions/{p.name}" for p in (REPO / "migrations/versions").glob("*.py")}
    assert versions and versions <= contents


def test_the_wheel_carries_the_templates_and_the_shipped_runbooks(contents):
    templates = {f"bot/export/templates/{p.name}" for p in (REPO / "bot/export/templates").iterdir()}
    runbooks = {f"bot/runbooks/shipped/{p.name}" for p in (REPO / "runbooks").glob("*.md")}
    assert templates and templates <= contents
    assert runbooks and runbooks <= contents


def test_every_module_of_the_bot_is_in_the_wheel(contents):
    # pyproject.toml lists the packages by name; a new one left out would be missing here.
    modules = {p.relative_to(REPO).as_posix() for p in (REPO / "bot").rglob("*.py")
               if "__pycache__" not in p.parts}
    missing = sorted(modules - contents)
    assert not missing, f"add their packages to [tool.setuptools] packages: {missing}"


def test_an_unpacked_wheel_upgrades_a_database_and_lints_its_runbooks_from_any_folder(wheel, tmp_path):
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    # Only the unpacked wheel provides `bot`: the checkout is not on the path.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE", "RUNBOOKS"))}
    env.update(PYTHONPATH=str(site), DATABASE_URL=f"sqlite:///{elsewhere / 'bot.db'}")

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "bot", *args], cwd=elsewhere, env=env,
                              capture_output=True, text=True, timeout=60, check=False)

    located = subprocess.run(
        [sys.executable, "-c", "import bot.shipped as s; print(s.migrations_dir()); print(s.runbooks_dir())"],
        cwd=elsewhere, env=env, capture_output=True, text=True, timeout=60, check=True)
    assert located.stdout.split() == [str(site / "bot/migrations"), str(site / "bot/runbooks/shipped")]

    upgraded = cli("db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert (elsewhere / "bot.db").exists()

    linted = cli("runbooks", "lint")
    assert linted.returncode == 0, linted.stdout + linted.stderr
    assert str(site / "bot/runbooks/shipped") in linted.stdout


def test_runbooks_dir_defaults_to_the_operators_folder_else_the_shipped_runbooks(tmp_path, monkeypatch):
    from bot import shipped
    from bot.config import load_settings

    monkeypatch.delenv("RUNBOOKS_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    assert load_settings().runbooks_dir == shipped.runbooks_dir()
    (tmp_path / "runbooks").mkdir()
    assert load_settings().runbooks_dir == Path("runbooks")
