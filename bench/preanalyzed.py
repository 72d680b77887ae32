"""mlsearch's own analysis of a text as Solr ``PreAnalyzedField`` JSON (bench/SCALE.md).

    .venv/bin/python -m bench.preanalyzed "东盟防长会议 ADMM-Plus: Menteri Pertahanan …"

Prints one JSON object per language field the text is routed to (``title_ms``,
``title_zh``, ``title_zh2``, …), each in the format of Solr's ``JsonPreAnalyzedParser``:
``{"v": "1", "str": …, "tokens": [{"t": term, "s": start, "e": end, "i": increment}, …]}``.
The tokens are exactly those mlsearch indexes (the analyzers pickled in its schema), so an
engine that accepts pre-analysed tokens would index the same terms, positions and offsets.

Lucene counts offsets in Java chars (UTF-16 code units) and positions by increments (the
first token's increment is its position + 1); mlsearch's tokens carry Python code-point
offsets and absolute positions, converted here. Lucene refuses offsets that go backwards,
so tokens are written in position order and a text whose offsets would go backwards is
an error, not silently reordered.
"""

from __future__ import annotations

import argparse
import json
import sys


def utf16_offsets(text: str) -> list[int]:
    """``out[i]``: the UTF-16 offset of code point ``i`` of ``text`` (and of its end)."""
    out = [0]
    for ch in text:
        out.append(out[-1] + (2 if ord(ch) > 0xFFFF else 1))
    return out


def field_tokens(field: str, value: str) -> list[dict]:
    """The tokens mlsearch indexes for ``value`` in ``field``, as Solr's JSON tokens."""
    from indexer.schema import make_schema

    analyzer = make_schema()[field].analyzer
    raw = [
        (t.pos, t.startchar, t.endchar, t.text) for t in analyzer(value, positions=True, chars=True)
    ]
    raw.sort(key=lambda x: (x[0], x[1]))
    utf16 = utf16_offsets(value)
    tokens, prev_pos, prev_start = [], -1, 0
    for pos, start, end, term in raw:
        if start < prev_start:
            raise ValueError(f"{field}: offsets go backwards at {term!r}")
        tokens.append({"t": term, "s": utf16[start], "e": utf16[end], "i": pos - prev_pos})
        prev_pos, prev_start = pos, start
    return tokens


def preanalyzed(text: str, part: str = "title") -> dict[str, dict]:
    """``{field: PreAnalyzedField JSON}`` for ``text`` as an article's title (or body).

    The fields' texts are what mlsearch's indexer gives them (``language_texts``: a line's
    Han runs go to ``_zh`` and ``_zh2``, its Latin words to ``_en`` or ``_ms``); the stored
    value (``str``) goes with the first field only, as a schema would store it once."""
    from indexer.analyse.languages import language_texts

    title, body = (text, "") if part == "title" else ("", text)
    texts, _ = language_texts(title, body, None)
    out: dict[str, dict] = {}
    for field, value in texts.items():
        if not field.startswith(part + "_"):
            continue
        doc: dict = {"v": "1"}
        if not out:
            doc["str"] = text
        doc["tokens"] = field_tokens(field, value)
        out[field] = doc
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.preanalyzed", description=__doc__)
    ap.add_argument("text", help="a title (or, with --part body, a body)")
    ap.add_argument("--part", choices=("title", "body"), default="title")
    args = ap.parse_args(argv)
    for field, doc in preanalyzed(args.text, args.part).items():
        print(json.dumps({field: doc}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
