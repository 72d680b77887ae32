"""The Whoosh schema, its version, and the index's own metadata file."""

from __future__ import annotations

import json
import zlib
from pathlib import Path

from whoosh import fields

from .analyse.fields import ANALYZERS, SurfaceAnalyzer
from .files import atomic_write
from .whoosh_internals.codec import CompactPositions, MLCodec, SurfaceFrequency

# Bump when the schema or the analysis changes in a way that needs a rebuild.
# 2: Han positions without gaps between runs; 3: near-duplicate groups; 4: ids start with
# their folder's label (README, "Article ids"), ``path`` is where the file is, and the
# analyzers live in ``indexer.analyse.fields`` (the schema pickles them by module path: an
# older index names ``indexer.analysis``, and is refused by the version check before its
# schema is unpickled); 5: a line goes to the other Latin language than the text's main one
# only with that language's function words (telegraphic English headlines were Malay); 6:
# mlsearch's codec (compact posting blocks, term entries, positions: whoosh_internals/codec.py)
SCHEMA_VERSION = 6
META_FILE = "mlsearch.json"

TEXT_PARTS = ("title", "body")
# Language fields of each part: title_en, title_ms, title_zh, title_zh2, body_en, ...
LANG_FIELDS = ("en", "ms", "zh", "zh2")


def lang_field(part: str, lang: str) -> str:
    return f"{part}_{lang}"


def text_fields(part: str | None = None) -> list[str]:
    parts = TEXT_PARTS if part is None else (part,)
    return [lang_field(p, lang) for p in parts for lang in LANG_FIELDS]


def split_field(name: str) -> tuple[str, str] | None:
    """``(part, lang)`` of a language field (``title_zh2`` -> ``("title", "zh2")``), None
    for any other field."""
    part, _, lang = name.partition("_")
    return (part, lang) if part in TEXT_PARTS and lang in LANG_FIELDS else None


def make_schema() -> fields.Schema:
    spec = {
        "id": fields.ID(stored=True, unique=True),
        "path": fields.STORED(),  # where the file is: an absolute path
        "rel": fields.STORED(),  # the file relative to the folder it was indexed from
        "root": fields.STORED(),  # that folder (or file) as given to index, resolved
        "title": fields.STORED(),
        "body": fields.STORED(),  # zlib-compressed UTF-8, for snippets and `show`
        "date": fields.DATETIME(stored=True, sortable=True),
        "lang": fields.KEYWORD(stored=True, commas=True, lowercase=True, scorable=False),
        "source": fields.KEYWORD(stored=True, lowercase=True, scorable=False),
        "url": fields.STORED(),
        "hash": fields.STORED(),
        "spell": fields.TEXT(analyzer=SurfaceAnalyzer(), phrase=False),
        # Near-duplicates (indexer/dedup.py): the group label (the id of the group's first
        # article; a column, so that search can collapse on it), the MinHash signature,
        # and its LSH band hashes, looked up like any term to find candidate copies.
        "dup": fields.ID(stored=True, sortable=True),
        "dupsig": fields.STORED(),
        "dupband": fields.KEYWORD(scorable=False),
    }
    # its words without whoosh's Token objects (whoosh_internals/codec.py), stored alike
    spell = spec["spell"]
    spell.format = SurfaceFrequency(field_boost=spell.format.field_boost)
    for part in TEXT_PARTS:
        for lang in LANG_FIELDS:
            field = fields.TEXT(analyzer=ANALYZERS[lang], phrase=True, multitoken_query="phrase")
            # positions as small arrays, not pickled lists (whoosh_internals/codec.py)
            field.format = CompactPositions(field_boost=field.format.field_boost)
            spec[lang_field(part, lang)] = field
    return fields.Schema(**spec)


def make_codec():
    """The codec an index is written with (``whoosh_internals/codec.py``): the writers'
    ``codec=`` option; each segment keeps its own, so readers need no setting."""
    return MLCodec()


def pack_body(body: str) -> bytes:
    """The stored form of an article's body: UTF-8 (lone surrogates kept), zlib level 6."""
    return zlib.compress(body.encode("utf-8", "surrogatepass"), 6)


def unpack_body(stored: bytes) -> str:
    """An article's body from its stored form (``pack_body``)."""
    return zlib.decompress(stored).decode("utf-8", "surrogatepass")


def write_meta(index_dir: Path, **extra) -> None:
    from . import __version__

    _write_json(
        index_dir, {"schema_version": SCHEMA_VERSION, "mlsearch_version": __version__, **extra}
    )


def update_meta(index_dir: Path, **changes) -> None:
    """Change some entries of the metadata file, keeping the others as they are."""
    _write_json(index_dir, {**(read_meta(index_dir) or {}), **changes})


def _write_json(index_dir: Path, meta: dict) -> None:
    atomic_write(index_dir / META_FILE, json.dumps(meta, indent=2, ensure_ascii=False) + "\n")


def read_meta(index_dir: Path) -> dict | None:
    try:
        return json.loads((index_dir / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
