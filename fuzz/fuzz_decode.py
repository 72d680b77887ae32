"""Fuzz target: encoding detection of undeclared bytes, and the HTML decoding on top of it.

``decode_bytes`` must return text or raise ``UnreadableFileError``; valid UTF-8 must come
back exactly (less a BOM).  ``_decode_html_bytes`` (BOM, ``<meta charset>``, then
``decode_bytes``) is held to the same contract.  Run: ``python fuzz/run.py decode``.
"""

from __future__ import annotations

import codecs
import sys

from _common import main


def load() -> None:
    import indexer.read  # noqa: F401


def check(data: bytes) -> None:
    from indexer.errors import UnreadableFileError
    from indexer.read.decode import _looks_binary, decode_bytes
    from indexer.read.html import _decode_html_bytes

    _looks_binary(data)
    try:
        text = decode_bytes(data)
    except UnreadableFileError as e:
        assert e.message and "\n" not in e.message, e.message
    else:
        assert isinstance(text, str)
        try:
            plain = data.removeprefix(codecs.BOM_UTF8).decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            if not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                assert text == plain, "valid UTF-8 decoded differently"
    try:
        html = _decode_html_bytes(data)
    except UnreadableFileError as e:
        assert e.message and "\n" not in e.message, e.message
    else:
        assert isinstance(html, str)


if __name__ == "__main__":
    main(check, load)
    sys.exit(0)
