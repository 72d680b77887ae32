"""Synonyms and abbreviations: other names for a query's words in the same language,
searched always (``Features.synonyms``), weighted below the words as typed.

A synonym group is one language's names for one thing: ``PBB | Pertubuhan Bangsa-Bangsa
Bersatu``, ``人大 | 全国人大 | 全国人民代表大会``, ``KL | Kuala Lumpur``. Groups come from

* the shipped file ``indexer/data/synonyms.tsv`` and the user's files in the same format
  (``MLSEARCH_SYNONYMS``, several separated by the OS path separator, or
  ``Searcher(synonyms=[...])``)::

      # lang<TAB>forms, separated by |
      ms	SPRM | Suruhanjaya Pencegahan Rasuah Malaysia

* the glossary's own cells (``indexer/data/glossary.tsv``) of countries, places,
  organisations and people: the variants of one language in one such entry are names of
  one thing (``Pertubuhan Bangsa-Bangsa Bersatu | PBB``), so a name is written down
  once. Translations stay the glossary's job: other languages' forms are searched only
  with ``--cross``.

Matching follows the glossary's rules (``search.glossary.Glossary``, whose index the
groups reuse): Latin forms match whole words (English ones also by stem), Chinese forms
whole jieba words of a run, leftmost and longest first; stop words are never expanded,
and a short form in capitals (``PBB``, ``KL``, ``UN``) matches only when typed in capitals:
``un`` is a Malay and French word, ``kl`` a unit.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from whoosh.qparser import syntax
from whoosh.qparser.plugins import PhrasePlugin, PlusMinusPlugin

from indexer.analyse.latin import DATA_DIR, stop_words
from indexer.analyse.normalize import HAN_RUN, normalize_text

from .glossary import COLUMNS, Entry, Glossary, GlossaryError, file_stamps, latin_words
from .query import CrossLanguagePlugin, Expansion, HanWordsPlugin, _regroup, _word

SYNONYMS_FILE = DATA_DIR / "synonyms.tsv"
SYNONYMS_ENV = "MLSEARCH_SYNONYMS"
# A synonym weighs this much of the word as typed: articles that say PBB rank above those
# that only say Pertubuhan Bangsa-Bangsa Bersatu. Measured on the eval sections: see
# CHANGELOG / eval/README.md.
SYNONYM_BOOST = 0.7
SOURCE = "synonyms"
# Glossary kinds whose cells are names of one thing: their variants are synonyms.
NAME_KINDS = ("country", "place", "org", "person")


def parse_synonyms(text: str, name: str) -> tuple[list[Entry], list[Entry]]:
    """The groups of one synonyms file (``lang<TAB>form | form …`` a line, at least two
    forms) and its exceptions (``!lang<TAB>form | …``: forms that are not synonyms of the
    rest of their glossary cell, such as 总理 beside 首相). A mistake raises GlossaryError
    naming the file and line."""
    groups, unlike = [], []
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        where = f"{name}:{lineno}"
        cells = line.rstrip("\r\n").split("\t")
        if len(cells) != 2:
            raise GlossaryError(
                f"{where}: expected 2 tab-separated columns (lang, forms), found {len(cells)}",
                hint="write the language (en, ms or zh), a tab, then the forms separated by |",
            )
        lang = cells[0].strip()
        negated = lang.startswith("!")
        lang = lang.removeprefix("!")
        if lang not in COLUMNS:
            raise GlossaryError(f"{where}: unknown language {lang!r} (use en, ms or zh)")
        forms = tuple(dict.fromkeys(f.strip() for f in cells[1].split("|") if f.strip()))
        if len(forms) < (1 if negated else 2):
            raise GlossaryError(f"{where}: a synonym group needs at least two forms")
        for form in forms:
            if lang == "zh":
                if not HAN_RUN.fullmatch(normalize_text(form).replace(" ", "")):
                    raise GlossaryError(f"{where}: zh form {form!r} must be Chinese characters")
            elif not latin_words(form) or HAN_RUN.search(form):
                raise GlossaryError(f"{where}: {lang} form {form!r} has no Latin words")
        entry = Entry(forms={lang: forms}, kind="synonym", source=where)
        (unlike if negated else groups).append(entry)
    return groups, unlike


def glossary_groups(entries, unlike=()) -> list[Entry]:
    """One group per glossary cell of a name (``NAME_KINDS``) with two or more variants,
    without the ``unlike`` forms (exceptions of the synonym files). The other cells are
    vocabulary, whose variants are neighbours rather than names of one thing (agreement |
    treaty, conflict | armed conflict)."""
    skip = {(lang, normalize_text(f)) for e in unlike for lang, fs in e.forms.items() for f in fs}
    groups = []
    for entry in entries:
        if entry.kind not in NAME_KINDS:
            continue
        for lang in COLUMNS:
            forms = tuple(
                f for f in entry.forms.get(lang, ()) if (lang, normalize_text(f)) not in skip
            )
            if len(forms) >= 2:
                groups.append(Entry(forms={lang: forms}, kind=entry.kind, source=entry.source))
    return groups


class Synonyms(Glossary):
    """Synonym groups, indexed for matching as glossary entries are (one language each)."""

    def match_latin(self, words, typed: str = "", shouting: bool = False):
        """As the glossary's, but a stop word is never expanded, even typed in capitals
        (AS in a title in capitals is the word as), and in a query typed all in capitals
        (``shouting``) a short form in capitals matches only what it would in lower case."""
        if all(w in stop_words() for w in words):
            return []
        return super().match_latin(words, typed.lower() if shouting else typed)


class _Matching:
    """The synonyms as one parse sees them: ``shouting`` when the query has no lower-case
    Latin letters (a pasted headline in capitals says nothing about acronyms)."""

    def __init__(self, synonyms: Synonyms, shouting: bool):
        self.synonyms, self.shouting = synonyms, shouting
        self.max_words, self.max_han = synonyms.max_words, synonyms.max_han

    def match_latin(self, words, typed: str = ""):
        return self.synonyms.match_latin(words, typed, self.shouting)

    def match_han(self, run: str, start: int = 0):
        return self.synonyms.match_han(run, start)


def user_synonym_files(extra=()) -> list[Path]:
    env = os.environ.get(SYNONYMS_ENV, "")
    paths = [p for p in env.split(os.pathsep) if p.strip()]
    return [Path(p).expanduser() for p in [*paths, *extra]]


def load_synonyms(extra=(), glossary=None) -> Synonyms:
    """The shipped groups, the glossary's (``glossary``: a loaded Glossary, the user's
    entries too; None: the shipped glossary) and the user's synonym files."""
    stamps = file_stamps(user_synonym_files(extra), "synonyms", f"check {SYNONYMS_ENV}")
    if glossary is None:
        return _load_with_shipped(stamps)
    return _load(stamps, _GlossaryKey(glossary), getattr(glossary, "stamps", None))


def load_synonyms_of_files(extra=(), glossary_files=()) -> Synonyms:
    """``load_synonyms(extra, glossary)`` for the glossary of the shipped file and the
    user's files (``MLSEARCH_GLOSSARY``, ``glossary_files``), the shipped one alone when a
    user file cannot be read or parsed (``known.glossary_or_shipped``). The glossary is
    loaded only when the table kept between runs for these files is missing: a plain
    search reads one pickle, not the glossary's too (190 KB, about 6 ms of a cold query)."""
    from .glossary import user_glossary_files

    stamps = file_stamps(user_synonym_files(extra), "synonyms", f"check {SYNONYMS_ENV}")
    try:
        glossary_stamps = file_stamps(user_glossary_files(glossary_files), "glossary", "")
    except GlossaryError:
        glossary_stamps = ()  # the shipped glossary alone, as glossary_or_shipped has it
    return _load_of_files(stamps, glossary_stamps)


@lru_cache(maxsize=8)
def _load_of_files(stamps, glossary_stamps) -> Synonyms:
    from .tablecache import cached_table

    def build() -> Synonyms:
        from indexer.errors import MlsearchError

        from .glossary import _load as load_glossary

        try:
            glossary = load_glossary(glossary_stamps)
        except MlsearchError:  # a user file that does not parse: the shipped one alone
            glossary = load_glossary(())
        return _build(stamps, tuple(glossary.entries))

    # The key ``_load`` keeps the same table under, from a loaded glossary's stamps.
    return cached_table("synonyms", (stamps, "glossary", glossary_stamps), build)


class _GlossaryKey:
    """A glossary's entries as ``_load``'s cache key: a glossary loaded from files is
    named by their stamps (as the table kept between runs is), so its 650-odd entries are
    not hashed again at every parse (0.15 ms a query); one made from entries is keyed by
    them."""

    __slots__ = ("entries", "_key")

    def __init__(self, glossary):
        stamps = getattr(glossary, "stamps", None)
        self.entries = glossary.entries
        self._key = ("stamps", stamps) if stamps is not None else tuple(glossary.entries)

    def __hash__(self) -> int:
        return hash(self._key)

    def __eq__(self, other) -> bool:
        return isinstance(other, _GlossaryKey) and self._key == other._key


@lru_cache(maxsize=8)
def _load_with_shipped(stamps) -> Synonyms:
    """With the shipped glossary's names, kept parsed between runs (``search.tablecache``)."""
    from .glossary import _shipped
    from .tablecache import cached_table

    return cached_table("synonyms", (stamps, "shipped"), lambda: _build(stamps, _shipped()))


@lru_cache(maxsize=2)
def _shipped() -> tuple[list[Entry], list[Entry]]:
    return parse_synonyms(SYNONYMS_FILE.read_text(encoding="utf-8"), SYNONYMS_FILE.name)


@lru_cache(maxsize=8)
def _load(stamps, glossary: _GlossaryKey, glossary_stamps=None) -> Synonyms:
    """With the names of a glossary loaded from files (``glossary_stamps``: their stamps,
    the key the table is kept parsed under between runs), or made from entries (None)."""
    glossary_entries = tuple(glossary.entries)
    if glossary_stamps is None:
        return _build(stamps, glossary_entries)
    from .tablecache import cached_table

    key = (stamps, "glossary", glossary_stamps)
    return cached_table("synonyms", key, lambda: _build(stamps, glossary_entries))


def _build(stamps, glossary_entries) -> Synonyms:
    shipped, unlike = _shipped()
    groups = list(shipped)
    unlike = list(unlike)
    for path, _mtime, _size in stamps:
        try:
            text = Path(path).read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as exc:
            raise GlossaryError(f"synonyms file {path} is not UTF-8 text") from exc
        except OSError as exc:
            raise GlossaryError(f"cannot read synonyms file {path}: {exc}") from exc
        more, more_unlike = parse_synonyms(text, path)
        groups.extend(more)
        unlike.extend(more_unlike)
    groups.extend(glossary_groups(glossary_entries, unlike))
    return Synonyms(groups, [str(SYNONYMS_FILE), *(p for p, *_ in stamps)])


class SynonymPlugin(CrossLanguagePlugin):
    """A run of query words a synonym group knows becomes ``(words OR synonym OR …)``,
    each synonym weighted SYNONYM_BOOST: the same traversal as ``--cross`` (runs of words,
    phrases, Han runs; a word next to an operator stands alone), one language only.

    Runs after ``--cross`` (filter 106 > 105), so the OR group ``--cross`` made for a run
    (its first node the words as typed, then the translations) gets the synonyms of the
    typed words in the same group; a translation is never expanded again, and a form both
    add is searched once, at the synonym's weight."""

    same_language = True  # parse_with_expansions: never the wide dictionaries

    def filters(self, parser):
        return [(self.do_synonyms, 106)]

    def __init__(self, synonyms: Synonyms):
        super().__init__(synonyms)
        self.synonyms = synonyms
        self._split = False
        self._added: dict[tuple, set[str]] = {}  # (typed node, its words) -> forms added

    def _phrase_node(self, node):
        """A quoted phrase that is a whole name: OR its synonyms, each quoted too, so that
        they match as written as the phrase does (``search.exact``). As plain words, quoted
        国防部长 found 国防部。部长级 through 国防部部长."""
        found = super()._phrase_node(node)
        if not isinstance(found, syntax.OrGroup):
            return found
        return _regroup(found, [found[0], *(_quoted(n) for n in found[1:])])

    def do_synonyms(self, parser, group):
        start = len(self.expansions)
        self._added = {}
        self.glossary = _Matching(self.synonyms, _shouting(group))
        # Chinese runs split into words (the ranked modes): a group may name part of one
        self._split = any(isinstance(p, HanWordsPlugin) for p in parser.plugins)
        out = self.do_cross(parser, group)
        mine = [e for e in self.expansions[start:] if e.added]
        for exp in mine:
            exp.source = SOURCE
        self.expansions[start:] = mine
        return out

    def do_cross(self, parser, group):
        if isinstance(group, syntax.OrGroup) and len(group) > 1:
            # Before operators are bound, an OR group is one an expansion made: only its
            # first node is what was typed.
            typed = super().do_cross(parser, _regroup(group, list(group[:1])))
            first = typed[0] if len(typed) == 1 else typed
            while isinstance(first, syntax.AndGroup) and len(first) == 1:
                first = first[0]  # a run of typed words, now one OR group
            if not isinstance(first, syntax.OrGroup):
                return _regroup(group, [first, *group[1:]])
            mine = {_key(n) for n in first[1:]} - {None}
            rest = [n for n in group[1:] if _key(n) not in mine]
            return _regroup(group, [*first, *rest])
        nodes = list(group)
        if not any(isinstance(n, PlusMinusPlugin.Plus) for n in nodes):
            return super().do_cross(parser, group)
        # +word: the word after the marker stands alone (+South China Sea requires South,
        # as without synonyms), like a word beside an operator.
        out: list = []
        i = 0
        while i < len(nodes):
            j = i
            while j < len(nodes) and not isinstance(nodes[j], PlusMinusPlugin.Plus):
                j += 1
            if j > i:
                out.extend(super().do_cross(parser, _regroup(group, nodes[i:j])))
            if j < len(nodes):
                out.append(nodes[j])
                if j + 1 < len(nodes):
                    out.extend(super().do_cross(parser, _regroup(group, [nodes[j + 1]])))
            i = j + 2
        return _regroup(group, out)

    def _han_node(self, node):
        """A Han run: groups match whole jieba words of it (or runs of them), leftmost and
        longest first, never part of a word: 中国式 is not 中国 + 式, so its synonyms
        would only split the word the query means."""
        from indexer.analyse.chinese import segment_han

        text = normalize_text(node.text)
        if not HAN_RUN.fullmatch(text):
            return node
        words = segment_han(text)

        def typed(a: int, b: int):
            """The words ``words[a:b]`` as a node standing where they were typed."""
            start, end = words[a][1], words[b - 1][2]
            piece = _word(text[start:end], node, node.boost)
            if node.startchar is not None:
                piece.startchar, piece.endchar = node.startchar + start, node.startchar + end
            return piece

        parts: list = []
        plain, i = None, 0  # plain: the first of the words no group knows, pending
        while i < len(words):
            found = None
            for j in range(len(words), i, -1):
                piece = "".join(w for w, _a, _b in words[i:j])
                if len(piece) <= self.glossary.max_han:
                    length, entries = self.glossary.match_han(piece)
                    if entries and length == len(piece):
                        found = (j, piece, entries)
                        break
            if found is None:
                plain = i if plain is None else plain
                i += 1
                continue
            j, piece, entries = found
            if plain is not None:
                parts.append(typed(plain, i))
                plain = None
            own = typed(i, j)
            alternatives = []
            for entry in entries:
                nodes, added = self._alternatives(entry, own, node.boost, piece)
                alternatives.extend(nodes)
                self.expansions.append(Expansion(piece, "zh", entry, added))
            parts.append(syntax.OrGroup([own, *alternatives]))
            i = j
        if plain is not None:
            parts.append(typed(plain, len(words)))
        if not any(isinstance(p, syntax.OrGroup) for p in parts):
            return node
        if len(parts) == 1:
            return parts[0]
        if not self._split:
            return node  # --all-words: the run as typed, its words together
        run = syntax.OrGroup([node, syntax.AndGroup(parts)])
        run.han_parts = syntax.AndGroup(parts)  # what HanWordsPlugin splits the run into
        return run

    def _alternatives(self, entry, like, boost: float, matched_norm) -> tuple:
        from .glossary import _en_stems

        added: dict[str, list[str]] = {}
        nodes = []
        # Two groups may know the same word (the shipped file's and the glossary's cell):
        # each form is searched once.
        done = self._added.setdefault((id(like), matched_norm), set())
        for lang, forms in entry.forms.items():
            for form in forms:
                # A form that holds the words as typed finds nothing they do not
                # (Mahathir Mohamad for mahathir): it would only rank its articles higher.
                if lang == "zh":
                    same = matched_norm in normalize_text(form).replace(" ", "")
                else:
                    words = latin_words(form)
                    same = _holds(words, matched_norm) or (
                        lang == "en"
                        and not isinstance(matched_norm, str)
                        and _holds(_en_stems(words), _en_stems(matched_norm))
                    )
                if same or normalize_text(form) in done:
                    continue
                done.add(normalize_text(form))
                nodes.append(_word(form, like, boost * SYNONYM_BOOST))
                added.setdefault(lang, []).append(form)
        return nodes, added


def _key(node) -> str | None:
    text = getattr(node, "text", None)
    return normalize_text(text) if isinstance(text, str) else None


def _holds(words: tuple, part) -> bool:
    """``part`` (a tuple of words) stands in ``words``, in order and together."""
    if isinstance(part, str) or not part:
        return False
    n = len(part)
    return any(words[i : i + n] == part for i in range(len(words) - n + 1))


def _shouting(group) -> bool:
    """The query's Latin letters are all capitals, in two words or more, one of them too
    long for a short form (``KENYATAAN PBB``; ``MQK PBB`` is two abbreviations)."""
    texts = []

    def visit(node):
        if isinstance(node, syntax.GroupNode):
            for child in node:
                visit(child)
        elif isinstance(getattr(node, "text", None), str) and not isinstance(node, syntax.Operator):
            texts.extend(latin_words_raw(node.text))

    visit(group)
    letters = "".join(texts)
    return letters.isupper() and len(texts) >= 2 and any(len(w) > 4 for w in texts)


def latin_words_raw(text: str) -> list[str]:
    """The Latin words of ``text`` as written (not case-folded)."""
    return [w for w in text.split() if any(c.isalpha() and c.isascii() for c in w)]


def _quoted(node):
    """``node`` (a synonym's word node) as a quoted phrase of its text, standing where it
    stood."""
    if not isinstance(node, syntax.WordNode):
        return node
    phrase = PhrasePlugin.PhraseNode(node.text, node.startchar)
    phrase.set_fieldname(node.fieldname)
    phrase.set_boost(node.boost)
    phrase.startchar, phrase.endchar = node.startchar, node.endchar
    return phrase
