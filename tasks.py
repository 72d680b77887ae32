#!/usr/bin/env python3
"""The two commands of the README, on a fresh machine with nothing but python3:

    python3 tasks.py demo [QUERY…]   venv + install + index corpus/ (when missing or stale) + query
    python3 tasks.py test            venv + install + ruff + the test suite

Both are idempotent: the venv is reinstalled only when the packaging files change, and the
index is updated incrementally (unchanged articles are not re-read).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".mlsearch-install"
DEMO_QUERIES = ["东盟 防长", "mesyuarat pertahanan", "defence ministers meeting"]


def run(*cmd, check=True, **kw) -> int:
    print("+ " + " ".join(str(c) for c in cmd), flush=True)
    rc = subprocess.call([str(c) for c in cmd], cwd=ROOT, **kw)
    if check and rc != 0:
        sys.exit(rc)
    return rc


def install_fingerprint() -> str:
    h = hashlib.sha1()
    for name in ("setup.cfg", "pyproject.toml"):
        h.update((ROOT / name).read_bytes())
    h.update(sys.version.encode())
    return h.hexdigest()


def ensure_venv() -> None:
    if not (BIN / "python").exists():
        print(f"creating virtualenv in {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    want = install_fingerprint()
    if STAMP.exists() and STAMP.read_text() == want and (BIN / "mlsearch").exists():
        return
    run(BIN / "python", "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    run(BIN / "python", "-m", "pip", "install", "--quiet", "-e", ".[test]")
    STAMP.write_text(want)


def demo(queries: list[str]) -> int:
    ensure_venv()
    if run(BIN / "mlsearch", "index", "corpus", check=False) != 0:
        # An index from another schema version (or a damaged one): start over.
        run(BIN / "mlsearch", "index", "--rebuild", "corpus")
    rc = 0
    for q in queries or DEMO_QUERIES:
        print(f"\n$ mlsearch search {q!r}", flush=True)
        rc = max(rc, run(BIN / "mlsearch", "search", "-n", "3", q, check=False))
    return 0 if rc < 2 else rc


def test(args: list[str]) -> int:
    ensure_venv()
    run(BIN / "ruff", "check", ".")
    run(BIN / "ruff", "format", "--check", ".")
    return run(BIN / "python", "-m", "pytest", *args, check=False)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("demo", "test"):
        print(__doc__)
        return 2
    return demo(argv[1:]) if argv[0] == "demo" else test(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
