"""The search page's files (search/serve/static/) without a browser: article text can only
become text (the script never parses HTML), and nothing is fetched from elsewhere. The
page's behaviour is tested in Chromium by tests/test_page.py."""

from __future__ import annotations

import re
from pathlib import Path

STATIC = Path(__file__).resolve().parents[1] / "search" / "serve" / "static"


def read(name: str) -> str:
    return (STATIC / name).read_text(encoding="utf-8")


def test_the_script_never_turns_a_string_into_markup_or_code():
    script = read("app.js")
    for sink in (
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "createContextualFragment",
        "DOMParser",
        "eval(",
        "new Function",
        'setTimeout("',
        "srcdoc",
    ):
        assert sink not in script, sink
    # No event handler attribute set from a string, and no style attribute (CSP).
    assert not re.search(r"setAttribute\(\s*[\"'](on\w+|style|href|src)[\"']", script)


def test_links_to_articles_are_http_or_https_only():
    script = read("app.js")
    assert 'url.protocol === "http:" || url.protocol === "https:"' in script
    # every .href assigned from data goes through safeUrl
    assigned = re.findall(r"\.href = ([^;]+);", script)
    assert assigned and all(v in ("href", "urlFor(clean(next))") for v in assigned), assigned


def test_everything_the_page_loads_is_its_own():
    html = read("index.html")
    refs = re.findall(r"""(?:src|href)\s*=\s*["']([^"']*)["']""", html)
    assert refs and all(r.startswith("/") or r.startswith("data:") for r in refs), refs
    csp = re.search(r'http-equiv="Content-Security-Policy"\s+content="([^"]+)"', html)
    assert csp and "script-src 'self'" in csp.group(1) and "default-src 'none'" in csp.group(1)
    css = read("app.css")
    assert "@import" not in css and "@font-face" not in css and "url(" not in css
    # no address of another site in the script (the SVG namespace is a name, not fetched)
    script = read("app.js").replace("http://www.w3.org/2000/svg", "")
    assert not re.search(r"https?://", script)
