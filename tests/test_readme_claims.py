"""What README.md says about matching and colour is what mlsearch does (issue #11, part 7)."""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from indexer.analyse.fields import analyze
from search.cli import main
from tests.conftest import run_in_terminal

README = Path(__file__).resolve().parents[1] / "README.md"


def malay_terms(word: str) -> list[str]:
    return [t for t, *_ in analyze(word, "ms", "query")]


def malay_bullet() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("- **Malay**")
    return text[start : text.index("\n- ", start + 1)]


def test_every_malay_stemming_example_in_the_readme_holds():
    bullet = " ".join(malay_bullet().split())
    same = re.findall(r"([a-z-]+) (?:→|=) ([a-z-]+)", bullet)
    assert len(same) >= 3, bullet
    for word, root in same:
        assert malay_terms(word) == malay_terms(root), (word, root)
    apart = re.findall(r"(\w+) \([^)]*\) does not match (\w+)", bullet)
    apart += re.findall(r"nor (\w+) \([^)]*\) (\w+)\.", bullet)
    assert ("keselamatan", "selamat") in apart, bullet
    for word, other in apart:
        assert malay_terms(word) != malay_terms(other), (word, other)


def test_selamat_does_not_find_keselamatan(news_index):
    run = CliRunner().invoke
    found = run(main, ["search", "--index", str(news_index), "--json", "--all", "keselamatan"])
    assert found.exit_code == 0 and "mesyuarat_menteri" in found.stdout
    res = run(main, ["search", "--index", str(news_index), "--json", "--all", "selamat"])
    assert "mesyuarat_menteri" not in res.stdout


COLOUR = "\x1b["


@pytest.mark.parametrize(
    ("flag", "no_color", "coloured"),
    [
        ("always", "1", True),  # an explicit flag wins over NO_COLOR (ripgrep's convention)
        ("always", None, True),
        ("never", None, False),
        ("auto", "1", False),  # not a terminal anyway: see the pty test below
    ],
)
def test_colour_flag_and_no_color_with_clirunner(news_index, flag, no_color, coloured):
    res = CliRunner().invoke(
        main,
        ["search", "--index", str(news_index), "--color", flag, "latihan"],
        env={"NO_COLOR": no_color},
    )
    assert res.exit_code == 0, res.output
    assert (COLOUR in res.stdout) is coloured


def _mlsearch() -> str | None:
    here = Path(sys.executable).parent / "mlsearch"
    return str(here) if here.exists() else shutil.which("mlsearch")


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
@pytest.mark.skipif(_mlsearch() is None, reason="needs the installed mlsearch command")
@pytest.mark.parametrize(
    ("flag", "no_color", "coloured"),
    [
        (None, None, True),  # on a terminal: colour
        (None, "1", False),  # NO_COLOR: none
        (None, "", True),  # an empty NO_COLOR is unset (no-color.org)
        ("always", "1", True),  # the explicit flag wins
        ("never", None, False),
        ("auto", "1", False),
    ],
)
def test_colour_on_a_real_terminal(news_index, flag, no_color, coloured):
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    if no_color is not None:
        env["NO_COLOR"] = no_color
    args = [_mlsearch(), "search", "--index", str(news_index), "latihan"]
    if flag:
        args += ["--color", flag]
    status, out = run_in_terminal(args, env=env, stderr=False)
    assert status == 0, out
    assert b"latihan" in out.lower()
    assert (COLOUR.encode() in out) is coloured, out
