"""tasks.py, the README's two set-up commands: quiet unless something fails. Run with a
fake subprocess (no venv is made, nothing is installed, no network)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PIP_NOISE = "Collecting whoosh3==2.7.5\n  Downloading whoosh3-2.7.5.tar.gz\nWARNING: ignored\n"


@pytest.fixture
def tasks(monkeypatch, tmp_path):
    spec = importlib.util.spec_from_file_location("tasks_under_test", ROOT / "tasks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    venv = tmp_path / ".venv"
    (venv / "bin").mkdir(parents=True)
    for name in ("python", "mlsearch"):
        (venv / "bin" / name).write_text("")
    monkeypatch.setattr(module, "VENV", venv)
    monkeypatch.setattr(module, "BIN", venv / "bin")
    monkeypatch.setattr(module, "STAMP", venv / ".mlsearch-install")
    monkeypatch.setattr(module, "browser_installed", lambda: True)
    return module


class FakeSubprocess:
    """subprocess.run: (exit status, output) by a word of the command (an argument, or the
    program's name); commands whose output is not captured print it themselves, as a real
    one would."""

    def __init__(self, monkeypatch, results: dict[str, tuple[int, str]]):
        self.calls: list[tuple[list[str], bool]] = []
        self.results = results
        monkeypatch.setattr(subprocess, "run", self)

    def __call__(self, args, cwd=None, capture_output=False, **kw):
        self.calls.append((args, capture_output))
        words = {a.rsplit("/", 1)[-1] for a in args}
        rc, out = next((r for word, r in self.results.items() if word in words), (0, ""))
        if capture_output:
            return subprocess.CompletedProcess(args, rc, out, "")
        sys.stdout.write(out)
        return subprocess.CompletedProcess(args, rc)

    def ran(self, *words: str) -> bool:
        """Whether a command with these arguments, in this order, was run."""
        return any(f" {' '.join(words)} " in f" {' '.join(args)} " for args, _ in self.calls)


def test_a_pip_that_succeeds_prints_nothing_and_a_second_run_installs_nothing(
    tasks, monkeypatch, capsys
):
    fake = FakeSubprocess(monkeypatch, {"pip": (0, PIP_NOISE)})
    tasks.ensure_venv()
    out = capsys.readouterr()
    assert fake.ran("pip", "install") and all(captured for _, captured in fake.calls)
    assert out.out.count("\n") == 1 and out.out.startswith("installing mlsearch")
    assert out.err == "" and "+ " not in out.out and "Collecting" not in out.out
    fake.calls.clear()
    tasks.ensure_venv()
    assert fake.calls == [] and capsys.readouterr().out == ""


def test_a_pip_that_fails_shows_its_output_and_exits_non_zero(tasks, monkeypatch, capsys):
    fake = FakeSubprocess(monkeypatch, {"-e": (1, "ERROR: No matching distribution for rjieba\n")})
    with pytest.raises(SystemExit) as exc:
        tasks.ensure_venv()
    assert exc.value.code == 1
    out = capsys.readouterr()
    assert "ERROR: No matching distribution for rjieba" in out.out
    assert "pip install -e .[test] failed (exit status 1)" in out.err
    assert fake.ran("--upgrade", "pip") and not tasks.STAMP.exists()  # tried again next time


def test_verbose_echoes_the_commands_and_shows_their_output(tasks, monkeypatch, capsys):
    FakeSubprocess(monkeypatch, {"pip": (0, PIP_NOISE)})
    monkeypatch.setattr(tasks, "VERBOSE", True)
    tasks.ensure_venv()
    out = capsys.readouterr().out
    assert "+ " in out and "Collecting whoosh3" in out


def test_test_hides_ruff_output_when_clean_and_keeps_pytest_output(tasks, monkeypatch, capsys):
    tasks.STAMP.write_text(tasks.install_fingerprint())
    fake = FakeSubprocess(
        monkeypatch, {"ruff": (0, "All checks passed!\n"), "pytest": (0, "523 passed in 80.1s\n")}
    )
    assert tasks.main(["test", "-x"]) == 0
    out = capsys.readouterr().out
    assert out == "523 passed in 80.1s\n"
    assert fake.calls[-1] == ([str(tasks.BIN / "python"), "-m", "pytest", "-x"], False)


def test_test_shows_ruff_failures_and_stops(tasks, monkeypatch, capsys):
    tasks.STAMP.write_text(tasks.install_fingerprint())
    fake = FakeSubprocess(
        monkeypatch, {"check": (1, "tasks.py:3:8: F401 `os` imported but unused\n")}
    )
    with pytest.raises(SystemExit) as exc:
        tasks.main(["test"])
    assert exc.value.code == 1
    assert "F401 `os` imported but unused" in capsys.readouterr().out
    assert not fake.ran("-m", "pytest")


def test_demo_prints_one_indexing_line_then_the_queries(tasks, monkeypatch, capsys):
    tasks.STAMP.write_text(tasks.install_fingerprint())
    summary = "index updated: 5 added, 0 updated, 0 removed, 0 unchanged, 0 skipped\n"
    FakeSubprocess(monkeypatch, {"index": (0, summary), "search": (0, "1. ASEAN\n")})
    assert tasks.main(["demo", "ASEAN"]) == 0
    assert capsys.readouterr().out == f"{summary}\n$ mlsearch search 'ASEAN'\n1. ASEAN\n"


def test_test_installs_chromium_quietly_when_missing_and_root(tasks, monkeypatch, capsys):
    tasks.STAMP.write_text(tasks.install_fingerprint())
    monkeypatch.setattr(tasks, "browser_installed", lambda: False)
    monkeypatch.setattr(tasks.os, "geteuid", lambda: 0)
    monkeypatch.setattr(tasks.shutil, "which", lambda name: "/usr/bin/" + name)
    fake = FakeSubprocess(
        monkeypatch, {"apt-get": (0, "Selecting previously unselected package chromium.\n")}
    )
    assert tasks.main(["test"]) == 0
    out = capsys.readouterr().out
    assert out == "installing chromium and chromium-driver (Debian) for the browser tests …\n"
    assert fake.ran("apt-get", "-qq", "update")
    assert fake.ran(
        "install", "-y", "-qq", "--no-install-recommends", "chromium", "chromium-driver"
    )
    assert fake.ran("-m", "pytest")


def test_test_without_root_says_the_browser_tests_are_skipped(tasks, monkeypatch, capsys):
    tasks.STAMP.write_text(tasks.install_fingerprint())
    monkeypatch.setattr(tasks, "browser_installed", lambda: False)
    monkeypatch.setattr(tasks.os, "geteuid", lambda: 1000)
    fake = FakeSubprocess(monkeypatch, {})
    assert tasks.main(["test"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "browser tests (tests/test_page.py) will be skipped" in out
    assert not fake.ran("apt-get") and fake.ran("-m", "pytest")


def test_a_failed_chromium_install_shows_why_and_the_tests_still_run(tasks, monkeypatch, capsys):
    tasks.STAMP.write_text(tasks.install_fingerprint())
    monkeypatch.setattr(tasks, "browser_installed", lambda: False)
    monkeypatch.setattr(tasks.os, "geteuid", lambda: 0)
    monkeypatch.setattr(tasks.shutil, "which", lambda name: "/usr/bin/" + name)
    fake = FakeSubprocess(monkeypatch, {"install": (100, "E: Unable to locate package chromium\n")})
    assert tasks.main(["test"]) == 0
    out = capsys.readouterr()
    assert "E: Unable to locate package chromium" in out.out
    assert "apt-get install failed (exit status 100)" in out.err
    assert fake.ran("-m", "pytest")
