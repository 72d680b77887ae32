#!/usr/bin/env python3
"""The two commands of the README, on a fresh machine with nothing but python3:

    python3 tasks.py demo [QUERY…]   venv + install + index corpus/ (when missing or stale) + query
    python3 tasks.py test [ARGS…]    venv + install + ruff + the test suite (ARGS go to pytest)

``test`` also installs Debian's chromium and chromium-driver for the browser tests of the
search page (tests/test_page.py) when they are missing and it runs as root; otherwise those
tests are skipped, saying why.

Both are idempotent: the venv is reinstalled only when the packaging files change, and the
index is updated incrementally (unchanged articles are not re-read).

They are quiet: what pip and ruff print is shown only when they fail (with their exit
status). ``python3 tasks.py -v demo`` (or ``--verbose``, before the command) shows each
command as it runs and everything it prints.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".mlsearch-install"
BROWSER_PACKAGES = ["chromium", "chromium-driver"]  # Debian's: tests/test_page.py drives them
DEMO_QUERIES = ["东盟 防长", "mesyuarat pertahanan", "defence ministers meeting"]
VERBOSE = False  # -v / --verbose: echo each command and show all of its output


def _show(cmd) -> list[str]:
    args = [str(c) for c in cmd]
    if VERBOSE:
        print("+ " + " ".join(args), flush=True)
    return args


def run(*cmd, check=True) -> int:
    """Run ``cmd`` in ROOT, its output going to ours; exit when it fails and ``check``."""
    rc = subprocess.run(_show(cmd), cwd=ROOT).returncode
    if check and rc != 0:
        sys.exit(rc)
    return rc


def capture(*cmd) -> tuple[int, str, str]:
    """Run ``cmd`` in ROOT with its output kept back: (exit status, stdout, stderr). With
    --verbose the output is not kept back, and "" is returned for it."""
    args = _show(cmd)
    if VERBOSE:
        return subprocess.run(args, cwd=ROOT).returncode, "", ""
    proc = subprocess.run(
        args, cwd=ROOT, capture_output=True, text=True, encoding="utf-8", errors="replace"
    )
    return proc.returncode, proc.stdout or "", proc.stderr or ""


def quietly(what: str, *cmd) -> None:
    """Run ``cmd`` printing nothing; when it fails, print what it printed and exit."""
    rc, out, err = capture(*cmd)
    if rc != 0:
        fail(what, rc, out + err)


def fail(what: str, rc: int, output: str = "") -> None:
    if output:
        sys.stdout.write(output if output.endswith("\n") else output + "\n")
    print(f"tasks.py: {what} failed (exit status {rc})", file=sys.stderr, flush=True)
    sys.exit(rc or 1)


# "compat": the project folder on sys.path through a plain .pth line. The default editable
# mode installs an import hook whose own imports (pathlib, re, enum…) cost every start of
# `mlsearch` 10–50 ms; the build backend is pinned (pyproject.toml) so the mode stays.
INSTALL_ARGS = ["-e", ".[test]", "--config-settings", "editable_mode=compat"]


def install_fingerprint() -> str:
    h = hashlib.sha1()
    h.update(" ".join(INSTALL_ARGS).encode())
    for name in ("setup.cfg", "pyproject.toml"):
        h.update((ROOT / name).read_bytes())
    h.update(sys.version.encode())
    return h.hexdigest()


def ensure_venv() -> None:
    want = install_fingerprint()
    ready = (BIN / "python").exists() and (BIN / "mlsearch").exists()
    if ready and STAMP.exists() and STAMP.read_text() == want:
        return
    print(f"installing mlsearch and its dependencies into {VENV} …", flush=True)
    if not (BIN / "python").exists():
        try:
            venv.EnvBuilder(with_pip=True).create(VENV)
        except subprocess.CalledProcessError as exc:  # ensurepip, its output kept back
            fail("creating the virtualenv", exc.returncode, exc.output or "")
    quiet = [] if VERBOSE else ["--quiet"]
    pip = [BIN / "python", "-m", "pip", "install", *quiet]
    quietly("pip install --upgrade pip", *pip, "--upgrade", "pip")
    quietly("pip install -e .[test]", *pip, *INSTALL_ARGS)
    STAMP.write_text(want)


def compile_sources() -> None:
    """Byte-compile the project's own modules (pip compiles only what it installs). Python
    reads these even when told not to write any (PYTHONDONTWRITEBYTECODE, read-only
    folders), where every `mlsearch` start would otherwise compile its modules again:
    about 0.1 s of a cold query. Quick when nothing changed."""
    quietly("compiling", BIN / "python", "-m", "compileall", "-q", "indexer", "search")


def browser_installed() -> bool:
    return shutil.which("chromium") is not None and shutil.which("chromedriver") is not None


def ensure_browser() -> None:
    """Debian's chromium for the browser tests: installed with apt-get (quietly, one line)
    when missing and we are root; otherwise one line says the browser tests will be skipped.
    A failed install is not fatal: the rest of the suite still runs."""
    if browser_installed():
        return
    skipped = "the browser tests (tests/test_page.py) will be skipped"
    if os.name != "posix" or os.geteuid() != 0 or shutil.which("apt-get") is None:
        print(
            f"tasks.py: chromium is not installed and this is not root with apt-get: {skipped}"
            " (apt-get install chromium chromium-driver)",
            flush=True,
        )
        return
    print("installing chromium and chromium-driver (Debian) for the browser tests …", flush=True)
    os.environ.setdefault("DEBIAN_FRONTEND", "noninteractive")
    install = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *BROWSER_PACKAGES]
    for what, cmd in (
        ("apt-get update", ["apt-get", "-qq", "update"]),
        ("apt-get install", install),
    ):
        rc, out, err = capture(*cmd)
        if rc != 0:
            sys.stdout.write(out + err)
            print(f"tasks.py: {what} failed (exit status {rc}): {skipped}", file=sys.stderr)
            return


def demo(queries: list[str]) -> int:
    ensure_venv()
    compile_sources()
    rc, out, err = capture(BIN / "mlsearch", "index", "corpus")
    if rc != 0:
        # An index from another schema version (or a damaged one): start over.
        rc, out, err = capture(BIN / "mlsearch", "index", "--rebuild", "corpus")
        if rc != 0:
            fail("mlsearch index --rebuild corpus", rc, out + err)
    sys.stdout.write(out)  # one line: what the index run did
    rc = 0
    for q in queries or DEMO_QUERIES:
        print(f"\n$ mlsearch search {q!r}", flush=True)
        rc = max(rc, run(BIN / "mlsearch", "search", "-n", "3", q, check=False))
    return 0 if rc < 2 else rc


def test(args: list[str]) -> int:
    ensure_venv()
    # ruff's output only when it finds something; pytest's as it is (CI reads its summary).
    rc, out, err = capture(BIN / "ruff", "check", ".")
    if rc != 0:
        fail("ruff check", rc, out + err)
    rc, out, err = capture(BIN / "ruff", "format", "--check", ".")
    if rc != 0:
        fail("ruff format --check", rc, out + err)
    ensure_browser()
    return run(BIN / "python", "-m", "pytest", *args, check=False)


def main(argv: list[str]) -> int:
    global VERBOSE
    while argv and argv[0] in ("-v", "--verbose"):
        VERBOSE = True
        argv = argv[1:]
    if not argv or argv[0] not in ("demo", "test"):
        print(__doc__)
        return 2
    if argv[0] == "demo":
        queries = [a for a in argv[1:] if a not in ("-v", "--verbose")]
        VERBOSE = VERBOSE or len(queries) < len(argv) - 1
        return demo(queries)
    return test(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
