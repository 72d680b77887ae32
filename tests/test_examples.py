"""The example scripts run, as CI runs them: a separate process, exit status 0."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent


def test_api_example_runs():
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLSEARCH_")}
    res = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "api_example.py")],
        cwd=ROOT.parent,  # not the checkout: the script finds its own way
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 0, res.stderr
    assert "Traceback" not in res.stderr
    out = res.stdout
    assert "indexed: 4 added, 0 skipped" in out
    assert "东盟防长会议" in out
    assert "saved query adm, first run:" in out
    assert "saved query adm, next run: 1 new of" in out
    assert '"saved": "adm", "new": true, "id": "docs/004_1a315c579fb00479.txt"' in out
