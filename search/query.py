"""The query language: Whoosh's parser, with every word run through each language's analysis.

A bare word is looked for in every language field of title and body (``title:`` or
``body:`` narrows it): each field's own analyzer processes the query text, so a Latin
word matches both its English and its Malay analysis, and a Han word matches jieba words
(ranked higher) and character bigrams (the substring fallback). The parser groups the
words with AND; how they finally combine (every word, or ranked partial matches) is
``search.matching``'s. OR, NOT, parentheses, "phrases", ``lang:``, ``source:``, ``date:``,
wildcards and ``term~`` fuzzy matching are Whoosh's syntax; ``+word`` requires a word.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from whoosh import query as wq
from whoosh.qparser import FuzzyTermPlugin, MultifieldPlugin, QueryParser, syntax
from whoosh.qparser.plugins import PhrasePlugin

from indexer.analyse.languages import LANGS
from indexer.analyse.latin import stop_words
from indexer.analyse.normalize import HAN_RUN, HAS_HAN, normalize_text
from indexer.errors import QuerySyntaxError
from indexer.schema import LANG_FIELDS, TEXT_PARTS, lang_field, text_fields

from .exact import ExactPhrase, ExactText, exact_query

# 3.0 against 2.0 (issue 14, English quality). With words ORed, 2.0 is better on the English
# topics (MAP@100 as typed 0.772 -> 0.797, descriptions 0.892 -> 0.908; a stock Whoosh
# StemmingAnalyzer scores 0.739 / 0.896). With the default ranked matching, 2.0 costs 0.010
# MRR@10 on 2-3 title word known items in each language, Malay topics nDCG@10 0.846 -> 0.838
# and all own topics nDCG@10 0.832 -> 0.827: kept at 3.0.
TITLE_BOOST = 3.0
# Bigram matches are the substring fallback: they rank below whole-word matches.
LANG_BOOSTS = {"en": 1.0, "ms": 1.0, "zh": 1.0, "zh2": 0.35}
FIELD_BOOSTS = {
    lang_field(part, lang): LANG_BOOSTS[lang] * (TITLE_BOOST if part == "title" else 1.0)
    for part in TEXT_PARTS
    for lang in LANG_FIELDS
}
# Eval, Malay topics MAP@100 as typed: 0.381 without, 0.395 at 1.0, 0.400 at 2.0, 0.395 at 4.0.
FIELD_BOOSTS["spell"] = SURFACE_BOOST = 2.0
MAX_QUERY_CHARS = 2000
MAX_EXPANSION = 200  # terms a wildcard or fuzzy term may expand to
# --cross: a glossary translation weighs this much of the query's own words, so articles in
# the query's language rank above articles found only through a translation.
CROSS_BOOST = 0.5
# --cross with Features.dictionaries: a wide dictionary's translation (search.dictionaries)
# weighs less than a glossary form, and one through English (Chinese <-> Malay) less still.
# Only for words and runs the glossary does not know: added to the glossary's words too
# (its own forms left out) it changed nothing overall on the eval's cross section (recall@10
# within the target language 0.638 either way; zh>en 0.47 -> 0.45, zh>ms 0.70 -> 0.72).
# 0.2, 0.3 and 0.4 give the same figures there: 0.3 sits between pivot and glossary.
DICT_BOOST = 0.3
PIVOT_BOOST = 0.2


_SURFACE_QUERIES = (wq.Wildcard, wq.Prefix, wq.FuzzyTerm)


class ExactPhraseNode(PhrasePlugin.PhraseNode):
    """A quoted phrase in one language field that matches only as written
    (``search.exact``): its query is the field's phrase query, wrapped."""

    exact: ExactText

    def query(self, parser):
        return exact_query(super().query(parser), self.exact, self.fieldname)


class LanguageFieldsPlugin(MultifieldPlugin):
    """Expands a bare word over every language field, and ``title:``/``body:`` over theirs.

    ``exact_phrases``: a quoted phrase matches as written (``search.exact``), in each
    field it is spread over; one phrase stays one clause of the query (an OR of fields)."""

    def __init__(self, exact_phrases: bool = False):
        super().__init__(text_fields(), fieldboosts=FIELD_BOOSTS, group=syntax.OrGroup)
        self.exact_phrases = exact_phrases

    def do_multifield(self, parser, group):
        for i, node in enumerate(group):
            if isinstance(node, syntax.GroupNode):
                group[i] = self.do_multifield(parser, node)
            elif node.has_fieldname and node.fieldname in (None, "title", "body"):
                names = text_fields(node.fieldname)
                if node.fieldname is None and getattr(node, "qclass", None) in _SURFACE_QUERIES:
                    # Language fields hold stems: modernis* and patrl~ must also be tried
                    # against the words as written.
                    names = [*names, "spell"]
                elif node.fieldname is None and _exact_form_counts(node):
                    names = [*names, "spell"]
                exact = None
                if self.exact_phrases and _is_phrase(node):
                    exact = ExactText(node.text, whole_article=node.fieldname is None)
                newnodes = []
                for fname in names:
                    newnode = _clone(node)
                    if exact is not None:
                        newnode.__class__ = ExactPhraseNode  # the same node, its query wrapped
                        newnode.exact = exact
                    newnode.set_fieldname(fname, override=True)
                    newnode.set_boost(node.boost * self.boosts.get(fname, 1.0))
                    newnodes.append(newnode)
                group[i] = self.group(newnodes)
        return group


@dataclass
class Expansion:
    """One glossary match of ``--cross``: the query text, the entry, what was added."""

    matched: str
    lang: str  # language of the form the query matched
    entry: object  # glossary.Entry (or dictionaries.DictionaryEntry)
    added: dict[str, list[str]]  # language -> forms searched as alternatives
    source: str = "glossary"

    def as_json(self) -> dict:
        return {
            "matched": self.matched,
            "lang": self.lang,
            "added": self.added,
            "entry": self.entry.as_json(),
            "source": self.source,
        }


class CrossLanguagePlugin:
    """``--cross``: a run of query words that a glossary entry knows becomes
    ``(words OR translation OR ...)``, the translations weighted CROSS_BOOST.

    Runs after field names are attached and before the words are spread over the language
    fields, so a translation is searched in every field like a typed word would be (a
    multi-word form as a phrase). ``expansions`` lists what the last parse added.
    """

    def __init__(self, glossary):
        self.glossary = glossary
        self.expansions: list[Expansion] = []
        # Set for one parse by parse_with_expansions: the index's word frequencies, which
        # turn on the wide dictionaries below the glossary (search.dictionaries).
        self.index_words = None

    def taggers(self, parser):
        return ()

    def filters(self, parser):
        return [(self.do_cross, 105)]

    def do_cross(self, parser, group):
        """Operators are bound later (NOT, OR and AND take the node next to them): a word
        beside an operator is only ever expanded on its own, so ``NOT South China Sea``
        still excludes South alone and ``Malaysia OR South China Sea`` still ORs Sea."""
        out = []
        run: list = []
        alone = False  # the previous node was an operator: this word stands alone

        def flush(last_alone: bool = False):
            nonlocal run
            if last_alone and run:
                out.extend(self._latin_run(run[:-1]))
                out.extend(self._latin_run(run[-1:]))
            else:
                out.extend(self._latin_run(run))
            run = []

        for node in group:
            if _is_phrase(node) and node.fieldname in (None, "title", "body"):
                flush()
                out.append(self._phrase_node(node))
                alone = False
                continue
            if isinstance(node, syntax.WordNode) and node.fieldname in (None, "title", "body"):
                if HAS_HAN.search(node.text):
                    flush()
                    out.append(self._han_node(node))
                elif alone:
                    flush()
                    out.extend(self._latin_run([node]))
                else:
                    run.append(node)
                alone = False
                continue
            if isinstance(node, syntax.Whitespace):
                continue
            is_operator = isinstance(node, syntax.Operator)
            # An infix operator takes the word before it too.
            flush(last_alone=isinstance(node, syntax.InfixOperator))
            if isinstance(node, syntax.GroupNode):
                node = self.do_cross(parser, node)
            out.append(node)
            alone = is_operator
        flush()
        return _regroup(group, out)

    def _alternatives(self, entry, like, boost: float, matched_norm) -> tuple:
        from .glossary import _en_stems, latin_words

        added: dict[str, list[str]] = {}
        nodes = []
        for lang in ("en", "ms", "zh"):
            for form in entry.forms.get(lang, ()):
                if lang == "zh":
                    same = normalize_text(form).replace(" ", "") == matched_norm
                else:
                    words = latin_words(form)
                    same = words == matched_norm or (
                        not isinstance(matched_norm, str)
                        and _en_stems(words) == _en_stems(matched_norm)
                    )
                if same or form in added.get(lang, ()) or any(form in v for v in added.values()):
                    continue
                nodes.append(_word(form, like, boost * CROSS_BOOST))
                added.setdefault(lang, []).append(form)
        return nodes, added

    def _latin_run(self, run: list) -> list:
        from .glossary import latin_words

        if not run:
            return []
        words = [latin_words(n.text) for n in run]
        out, i = [], 0
        while i < len(run):
            found = None
            for j in range(min(len(run), i + self.glossary.max_words), i, -1):
                span = run[i:j]
                if any(n.fieldname != span[0].fieldname for n in span):
                    continue
                key = tuple(w for ws in words[i:j] for w in ws)
                typed = " ".join(n.text for n in span)
                if key and (matches := self.glossary.match_latin(key, typed)):
                    found = (j, key, matches)
                    break
            if found is None:
                j, node = self._dictionary_run(run, i)
                out.append(node)
                i = j
                continue
            j, key, matches = found
            span = run[i:j]
            alternatives = [span[0] if len(span) == 1 else syntax.AndGroup(span)]
            text = " ".join(n.text for n in span)
            for entry, lang in matches:
                nodes, added = self._alternatives(entry, span[0], 1.0, key)
                alternatives.extend(nodes)
                self.expansions.append(Expansion(text, lang, entry, added))
            out.append(syntax.OrGroup(alternatives))
            i = j
        return out

    # -- the wide dictionaries (search.dictionaries), for what the glossary does not know --

    def _dictionaries(self):
        if self.index_words is None:
            return None
        from .dictionaries import shipped

        return shipped()

    def _dictionary_alternatives(self, typed: str, langs, like, boost: float) -> list:
        """Nodes for the pruned dictionary translations of ``typed`` (a word or phrase in
        one of ``langs``), each recorded as an Expansion naming its dictionary."""
        from .dictionaries import PIVOT, DictionaryEntry, prune

        dicts = self._dictionaries()
        if dicts is None:
            return []
        nodes, seen = [], set()
        for lang in langs:
            kept = [
                t
                for t in prune(dicts.translate(typed, lang), self.index_words, typed)
                if (t.lang, t.form) not in seen
            ]
            by_source: dict[str, list] = {}
            for t in kept:
                seen.add((t.lang, t.form))
                weight = PIVOT_BOOST if t.source == PIVOT else DICT_BOOST
                nodes.append(_word(t.form, like, boost * weight))
                by_source.setdefault(t.source, []).append(t)
            # the dictionaries first, then what went through English
            for source, found in sorted(by_source.items(), key=lambda kv: kv[0] == PIVOT):
                entry = DictionaryEntry.of(typed, lang, source, found)
                self.expansions.append(Expansion(typed, lang, entry, entry.added(), source))
        return nodes

    def _dictionary_run(self, run: list, i: int) -> tuple[int, object]:
        """The longest run of words from ``run[i]`` a dictionary translates, as
        ``(typed words OR translations)``; else ``run[i]`` alone. Returns (end, node)."""
        from .glossary import latin_words

        dicts = self._dictionaries()
        if dicts is not None:
            stops = stop_words()
            for j in range(min(len(run), i + dicts.max_words), i, -1):
                span = run[i:j]
                if any(n.fieldname != span[0].fieldname for n in span):
                    continue
                words = tuple(w for n in span for w in latin_words(n.text))
                if not words or all(w in stops for w in words):
                    continue
                typed = " ".join(words)
                if not (dicts.knows(typed, "en") or dicts.knows(typed, "ms")):
                    continue
                nodes = self._dictionary_alternatives(typed, ("en", "ms"), span[0], 1.0)
                if nodes:
                    own = span[0] if len(span) == 1 else syntax.AndGroup(span)
                    return j, syntax.OrGroup([own, *nodes])
        return i + 1, run[i]

    def _dictionary_han(self, text: str, like) -> list:
        """A stretch of a Han run no glossary form covers: its jieba words, each a
        dictionary word (or the longest ones inside it) OR its translations; words
        without translations stay together as typed."""
        dicts = self._dictionaries()
        if dicts is None:
            return [_word(text, like)]
        from indexer.analyse.chinese import segment_han

        pieces = []
        for word, _a, _b in segment_han(text):
            if dicts.knows(word, "zh") or len(word) < 3:
                pieces.append(word)
                continue
            k = 0  # an unknown long word: the longest dictionary words inside it
            while k < len(word):
                for m in range(len(word), k, -1):
                    if m - k >= 2 and dicts.knows(word[k:m], "zh") or m == k + 1:
                        pieces.append(word[k:m])
                        k = m
                        break
        parts: list = []
        plain = ""
        for piece in pieces:
            nodes = []
            if len(piece) >= 2 and dicts.knows(piece, "zh"):
                nodes = self._dictionary_alternatives(piece, ("zh",), like, like.boost)
            if not nodes:
                plain += piece
                continue
            if plain:
                parts.append(_word(plain, like))
                plain = ""
            parts.append(syntax.OrGroup([_word(piece, like), *nodes]))
        if plain:
            parts.append(_word(plain, like))
        return parts

    def _phrase_node(self, node):
        """A quoted phrase that is a whole glossary form: OR its translations (else OR
        the dictionaries' translations of the whole phrase, phrases too)."""
        from .glossary import latin_words

        text = normalize_text(node.text).replace(" ", "")
        if HAN_RUN.fullmatch(text):
            length, entries = self.glossary.match_han(text)
            key, lang = (text, "zh") if length == len(text) else (None, None)
        else:
            key, lang = latin_words(node.text), None
            entries = self.glossary.match_latin(key, node.text) if key else []
        if key and not entries:
            langs = ("zh",) if lang == "zh" else ("en", "ms")
            typed = text if lang == "zh" else " ".join(key)
            nodes = self._dictionary_alternatives(typed, langs, node, node.boost)
            return syntax.OrGroup([node, *nodes]) if nodes else node
        if not key or not entries:
            return node
        alternatives = [node]
        for found in entries:
            entry, form_lang = found if lang is None else (found, lang)
            nodes, added = self._alternatives(entry, node, node.boost, key)
            alternatives.extend(nodes)
            self.expansions.append(Expansion(node.text, form_lang, entry, added))
        return syntax.OrGroup(alternatives)

    def _han_node(self, node):
        """A Han run: leftmost-longest glossary forms; the run as typed OR its parts with
        their translations."""
        text = normalize_text(node.text)
        if not HAN_RUN.fullmatch(text):
            return node  # mixed scripts in one word: left as typed
        parts, i, matched = [], 0, False
        while i < len(text):
            length, entries = self.glossary.match_han(text, i)
            if not entries:
                j = i + 1
                while j < len(text) and not self.glossary.match_han(text, j)[1]:
                    j += 1
                found = self._dictionary_han(text[i:j], node)
                parts.extend(found)
                matched = matched or any(isinstance(p, syntax.OrGroup) for p in found)
                i = j
                continue
            piece = text[i : i + length]
            alternatives = []
            for entry in entries:
                nodes, added = self._alternatives(entry, node, node.boost, piece)
                alternatives.extend(nodes)
                self.expansions.append(Expansion(piece, "zh", entry, added))
            own = _word(piece, node)
            parts.append(syntax.OrGroup([own, *alternatives]))
            matched = True
            i += length
        if not matched:
            return node
        if len(parts) == 1:
            return parts[0]
        run = syntax.OrGroup([node, syntax.AndGroup(parts)])
        run.han_parts = syntax.AndGroup(parts)  # what HanWordsPlugin splits the run into
        return run


def _is_phrase(node) -> bool:
    return isinstance(node, syntax.TextNode) and type(node).__name__ == "PhraseNode"


def _word(text: str, like, boost: float = 1.0):
    """A WordNode for ``text`` standing where ``like`` stood in the query."""
    node = syntax.WordNode(text)
    node.set_fieldname(like.fieldname)
    node.set_boost(boost)
    node.startchar, node.endchar = like.startchar, like.endchar
    return node


def _clone(node):
    """``copy.copy(node)`` for a syntax node (a plain object: its attributes, shallow),
    without copy's generic protocol (``__reduce_ex__``, ``_reconstruct``): 0.8 against
    4.4 µs a node, about ten a parse."""
    new = object.__new__(type(node))
    new.__dict__.update(node.__dict__)
    return new


def _regroup(group, nodes):
    new = _clone(group)
    new.nodes = nodes
    return new


def _exact_form_counts(node) -> bool:
    """A plain word also scores as written (``spell`` holds unstemmed words, one field for
    both Latin languages): permainan then ranks articles that say permainan above those
    that only share its stem main. Stop words stay out: they must not become required."""
    if type(node) is not syntax.WordNode:
        return False
    word = normalize_text(node.text)
    return word.isalpha() and len(word) >= 3 and word not in stop_words()


class HanWordsPlugin:
    """A Chinese run typed without spaces (南海军事演习) becomes its words (南海 军事演习),
    each a word of the query like a typed one, as a Latin query's words are: the matching
    model then ranks articles holding some of them, and proximity ranks the run found
    whole highest. With ``--cross``, a run the glossary knows parts of is split at them
    first (``CrossLanguagePlugin._han_node``)."""

    def taggers(self, parser):
        return ()

    def filters(self, parser):
        return [(self.do_split, 106)]

    def do_split(self, parser, group):
        out = []
        for node in group:
            parts = getattr(node, "han_parts", None)
            if parts is not None:
                node = parts
            if isinstance(node, syntax.GroupNode):
                out.append(self.do_split(parser, node))
                continue
            words = _han_words(node)
            out.append(syntax.AndGroup(words) if len(words) > 1 else node)
        return _regroup(group, out)


def _han_words(node) -> list:
    """The jieba words of a bare Han word node, as word nodes where each stands in the
    query (one node: not a Han run, or one word)."""
    from indexer.analyse.fields import ANALYZERS

    if type(node) is not syntax.WordNode or node.fieldname not in (None, "title", "body"):
        return [node]
    if not HAN_RUN.fullmatch(normalize_text(node.text)):
        return [node]
    tokens = [
        (t.startchar, t.endchar)
        for t in ANALYZERS["zh"](node.text, positions=True, chars=True, mode="query")
    ]
    # One-character words are rarely words of the query on their own: a run of them is
    # one piece (碳 中 和), and a lone one joins the word after it (冬 残奥会), or, at the
    # end, the word before it (升旗 山).
    pieces: list[list[int]] = []
    lone = False  # the last piece is a lone character waiting for the next word
    for start, end in tokens:
        single = end - start == 1
        if pieces and (lone or (single and pieces[-1][2])):
            pieces[-1][1] = end
            pieces[-1][2] = pieces[-1][2] and single
        else:
            pieces.append([start, end, single])
        lone = single and pieces[-1][1] - pieces[-1][0] == 1
    if lone and len(pieces) > 1:
        last = pieces.pop()
        pieces[-1][1] = last[1]
    if len(pieces) < 2:
        return [node]
    words = []
    for start, end, _single in pieces:
        word = _word(node.text[start:end], node, node.boost)
        if node.startchar is not None:
            word.startchar, word.endchar = node.startchar + start, node.startchar + end
        words.append(word)
    return words


# Query text the fast path of ``_Parser.process`` tags itself: no character any of whoosh's
# taggers starts on (quotes and field names are read below), no operator word.
_PLAIN_TOKEN = re.compile(r"""[^\s'*?\u055e\u061f\u1367"()^~+\[\]{}:]+""")
_FIELD_TOKEN = re.compile(r"(\w+):")
_SPACES = re.compile(r"\s+")
_OPERATOR_WORDS = frozenset({"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "REQUIRE"})
# Filters that leave a group of words, phrases and field names as it is (whoosh's own,
# by priority): the fast path does not run them.
_NO_OP_ON_PLAIN = frozenset(
    {
        "BoostPlugin.clean_boost",
        "BoostPlugin.do_boost",
        "FuzzyTermPlugin.do_fuzzyterms",
        "GroupPlugin.do_groups",
        "WildcardPlugin.do_wildcards",
        "OperatorsPlugin.do_operators",
    }
)


def plain_tags(text: str) -> syntax.GroupNode | None:
    """What whoosh's ``QueryParser.tag`` makes of ``text`` (with mlsearch's plugins) when
    it is only words, "quoted phrases" and ``field:`` names before a word or phrase, as
    most typed queries are: the same nodes, at the same places, without trying each of
    the seventeen taggers at every character. None for anything else (operators,
    parentheses, wildcards, ranges, boosts, fuzzy terms, +word, single quotes, a quote
    left open): whoosh's tagger reads those."""
    nodes = []
    pos, end = 0, len(text)

    def space_or_end(i: int) -> bool:
        return i == end or _SPACES.match(text, i) is not None

    while pos < end:
        m = _SPACES.match(text, pos)
        if m:
            nodes.append(syntax.Whitespace().set_range(pos, m.end()))
            pos = m.end()
            continue
        m = _FIELD_TOKEN.match(text, pos)
        if m:  # whoosh's FieldnameTagger, first to match where a word starts
            nodes.append(syntax.FieldnameNode(m.group(1), m.group(0)).set_range(pos, m.end()))
            pos = m.end()
            if space_or_end(pos):
                return None  # a field name before nothing: whoosh's
            continue
        if text.startswith('"', pos):
            close = text.find('"', pos + 1)
            if close < 0 or "\n" in text[pos:close] or not space_or_end(close + 1):
                return None
            node = PhrasePlugin.PhraseNode(text[pos + 1 : close], pos + 1, 1)
            node.degrade = False
            nodes.append(node.set_range(pos, close + 1))
            pos = close + 1
            continue
        m = _PLAIN_TOKEN.match(text, pos)
        if not m or not space_or_end(m.end()) or m.group() in _OPERATOR_WORDS:
            return None
        node = syntax.WordNode(m.group())
        node.startchar, node.endchar = pos, m.end()
        nodes.append(node)
        pos = m.end()
    return syntax.AndGroup(nodes)


class _Parser(QueryParser):
    """Whoosh's QueryParser, analysing a word once per analysis within one parse
    (``memo``, set by ``parse_query``): a bare word is spread over nine fields, and the
    title and body field of a language analyse it alike (half the analyses of a parse;
    a ``--cross`` parse analyses every translation in each field too).

    A query of plain words, quoted phrases and ``field:`` names is tagged by
    ``plain_tags`` and skips the filters that change nothing in such a group
    (``fast_path``; the query objects are the same, tests/test_fast_parse.py); whoosh's
    taggers and filter list are made once per parser, not at every parse."""

    memo: dict | None = None
    fast_path = True
    _made: tuple | None = None  # (plugins, taggers, filters, filters for the fast path)

    def _lists(self) -> tuple:
        made = self._made
        if made is None or made[0] != tuple(map(id, self.plugins)):
            filters = QueryParser.filters(self)
            plain = [f for f in filters if f.__qualname__ not in _NO_OP_ON_PLAIN]
            # plain_tags knows make_parser's taggers: a parser with others has no fast path
            if _taggers_of(self) != _plain_taggers():
                plain = None
            made = self._made = (
                tuple(map(id, self.plugins)),
                QueryParser.taggers(self),
                filters,
                plain,
            )
        return made

    def taggers(self):
        return self._lists()[1]

    def filters(self):
        return self._lists()[2]

    def process(self, text: str, pos: int = 0, debug: bool = False):
        if self.fast_path and not pos and not debug and self.group is syntax.AndGroup:
            plain = self._lists()[3]
            nodes = plain_tags(text) if plain is not None else None
            if nodes is not None:
                for f in plain:
                    nodes = f(self, nodes)
                    if nodes is None:
                        raise Exception(f"Filter {f!r} did not return anything")
                return nodes
        return super().process(text, pos, debug)

    def term_query(self, fieldname, text, termclass, boost=1.0, tokenize=True, removestops=True):
        from indexer.analyse.fields import _TupleAnalyzer

        memo = self.memo
        field = self.schema[fieldname] if self.schema and fieldname in self.schema else None
        analyzer = getattr(field, "analyzer", None)
        if memo is None or not isinstance(analyzer, _TupleAnalyzer) or field.self_parsing():
            return super().term_query(fieldname, text, termclass, boost, tokenize, removestops)
        key = (type(analyzer), getattr(analyzer, "lang", None), text, tokenize, removestops)
        texts = memo.get(key)
        if texts is None:
            texts = memo[key] = list(
                field.process_text(text, mode="query", tokenize=tokenize, removestops=removestops)
            )
        # as QueryParser.term_query goes on (a field of this schema parses no query itself)
        if len(texts) > 1:
            return self.multitoken_query(
                field.multitoken_query, list(texts), fieldname, termclass, boost
            )
        if not texts:
            return None
        return termclass(fieldname, texts[0], boost=boost)


def _taggers_of(parser) -> list[tuple]:
    """What a parser's taggers look for, in order: (class, pattern, priority, degrade)."""
    return [
        (
            type(tagger).__qualname__,
            getattr(getattr(tagger, "expr", None), "pattern", None),
            priority,
            getattr(tagger, "degrade", None),
        )
        for plugin in parser.plugins
        for tagger, priority in plugin.taggers(parser)
    ]


_PLAIN_TAGGERS: list | None = None


def _plain_taggers() -> list[tuple]:
    """The taggers ``plain_tags`` stands in for: make_parser's (the same whatever its
    options: --cross, synonyms, ranked and exact phrases add filters only)."""
    global _PLAIN_TAGGERS
    if _PLAIN_TAGGERS is None:
        _PLAIN_TAGGERS = _taggers_of(make_parser(None))
    return _PLAIN_TAGGERS


def make_parser(
    schema,
    glossary=None,
    exact_phrases: bool = False,
    ranked: bool = False,
    synonyms=None,
) -> QueryParser:
    """The query parser; ``glossary``: ``--cross`` through it; ``exact_phrases``: quoted
    phrases match as written (``Features.exact_phrases``); ``ranked``: a Chinese run is
    its words (``HanWordsPlugin``; for the matching modes that do not require every
    word, ``search.matching``); ``synonyms``: same-language synonyms and abbreviations
    (``search.synonyms``), after --cross and before a Chinese run is split."""
    from whoosh.qparser import PlusMinusPlugin

    parser = _Parser(None, schema, group=syntax.AndGroup)
    parser.add_plugin(FuzzyTermPlugin())
    parser.add_plugin(LanguageFieldsPlugin(exact_phrases))
    # +word at the start of a word; a minus sign stays a hyphen (Bangsa-Bangsa)
    parser.add_plugin(PlusMinusPlugin(plusexpr=r"(?<![^\s(])\+(?=[^\s+])", minusexpr=r"(?!)"))
    if glossary is not None:
        parser.add_plugin(CrossLanguagePlugin(glossary))
    if synonyms is not None:
        from .synonyms import SynonymPlugin

        parser.add_plugin(SynonymPlugin(synonyms))
    if ranked:
        parser.add_plugin(HanWordsPlugin())
    return parser


def _walk(q):
    yield q
    if q.is_leaf():
        return
    for child in q.children():
        yield from _walk(child)


# A slash between two letters: "jobless/unemployment", "his/her". The analyzer keeps a
# slashed run together as a compound, which a query looks for as a phrase; for words that
# name alternatives that phrase matched almost nothing (an English topic description with
# jobless/unemployment: MAP@100 0.36 as a phrase, 0.61 as two words). Digits keep theirs
# (24/7, 1/2, dates).
_SLASHED_WORDS = re.compile(r"(?<=[^\W\d_])/(?=[^\W\d_])")


def split_slashed_words(text: str) -> str:
    """``text`` with each slash between two letters made a space: separate query words."""
    return _SLASHED_WORDS.sub(" ", text)


def close_quote(text: str) -> tuple[str, str | None]:
    """``text`` with an unclosed ``"`` closed at its end, and a note saying so (None when
    every quote is closed): ``"south china`` is searched as the phrase it starts, not as
    words with a stray quote."""
    if text.count('"') % 2 == 0:
        return text, None
    opened = text.rfind('"')
    phrase = text[opened:].strip() + '"'
    return text.rstrip() + '"', f"the last quote was not closed: searched for {phrase}"


def parse_query(parser, text: str):
    """Parse ``text``; raise QuerySyntaxError with a clear message on anything wrong."""
    if len(text) > MAX_QUERY_CHARS:
        raise QuerySyntaxError(
            f"query too long ({len(text)} characters; the limit is {MAX_QUERY_CHARS})"
        )
    if not text.strip():
        raise QuerySyntaxError("empty query")
    _check_dates(parser, text)
    memo = isinstance(parser, _Parser)
    if memo:
        parser.memo = {}
    try:
        q = parser.parse(split_slashed_words(text))
    except Exception as exc:  # the parser should not raise, but a query must never crash us
        raise QuerySyntaxError(f"cannot parse query: {exc}") from exc
    finally:
        if memo:
            parser.memo = None
    for node in _walk(q):
        error = getattr(node, "error", None)
        if error:
            raise QuerySyntaxError(f"cannot parse query: {error}")
        fieldname = getattr(node, "fieldname", None)
        if fieldname == "lang" and isinstance(node, wq.Term) and node.text not in LANGS:
            raise QuerySyntaxError(f"unknown language {node.text!r} in lang: (use zh, ms or en)")
    for node in _walk(q):
        # Phrase.normalize() keeps char_ranges but drops startchar: where the phrase was
        # typed must survive it (search.matching names a query's words as typed)
        typed_at = getattr(node, "startchar", None)
        if isinstance(node, wq.Phrase) and not node.char_ranges and typed_at is not None:
            node.char_ranges = [(node.startchar, node.endchar)]
    q = q.normalize()
    if q is wq.NullQuery:
        raise QuerySyntaxError(
            "the query has no searchable words (only stop words or punctuation?)"
        )
    return q


def parse_with_expansions(parser, text: str, index_words=None) -> tuple[object, list[Expansion]]:
    """``parse_query``, and the expansions the parse made: the glossary's, the synonyms'
    (``[]`` for a parser without such plugins). ``index_words`` (``dictionaries.IndexWords``
    of the index searched) adds the wide dictionaries' translations below the glossary's."""
    plugins = [p for p in parser.plugins if isinstance(p, CrossLanguagePlugin)]
    if not plugins:
        return parse_query(parser, text), []
    cross = [p for p in plugins if not getattr(p, "same_language", False)]
    for plugin in plugins:
        plugin.expansions = []
    for plugin in cross:
        plugin.index_words = index_words
    try:
        q = parse_query(parser, text)
    finally:
        for plugin in cross:
            plugin.index_words = None
    return q, [e for plugin in plugins for e in plugin.expansions]


def glossary_matches(parser, text: str) -> list[Expansion] | None:
    """The expansions the glossary (``CrossLanguagePlugin``, not the synonyms nor the wide
    dictionaries) makes when ``parser`` parses ``text``, found without making the query:
    the query is tagged and only the filters up to the glossary's run (fields attached,
    groups made), so a query the glossary knows nothing of costs a tenth of a parse
    (the cross hint asks this of every weak result). None: the parser has no glossary,
    or the text cannot be tagged (the caller parses it in full and says why)."""
    plugins = [
        p
        for p in parser.plugins
        if isinstance(p, CrossLanguagePlugin) and not getattr(p, "same_language", False)
    ]
    if len(plugins) != 1:
        return None
    (plugin,) = plugins
    last = max(prio for _f, prio in plugin.filters(parser))
    # as whoosh orders them (QueryParser._priorized: by priority, then plugin order)
    items = [item for pl in parser.plugins for item in pl.filters(parser)]
    items.sort(key=lambda item: item[1])
    filters = [f for f, prio in items if prio <= last]
    plugin.expansions = []
    plugin.index_words = None
    try:
        nodes = parser.tag(split_slashed_words(text))
        for f in filters:
            nodes = f(parser, nodes)
    except Exception:
        return None
    found, plugin.expansions = plugin.expansions, []
    return found


def _check_dates(parser, text: str) -> None:
    """Whoosh turns an unreadable date into a query that matches nothing: say so instead."""
    import re

    for m in re.finditer(r"\bdate:(\[[^\]]*\]|\{[^}]*\}|\"[^\"]*\"|\S+)", text):
        value = m.group(1)
        try:
            sub = parser.parse(f"date:{value}")
        except Exception:
            sub = wq.NullQuery
        if sub is wq.NullQuery or getattr(sub, "error", None):
            raise QuerySyntaxError(
                f"cannot read the date in date:{value} "
                "(use date:2025, date:2025-10, date:2025-10-29 or date:[2025-09-01 TO 2025-10-31])"
            )


def positive_terms(q) -> list[tuple[str, object]]:
    """The (field, query) leaves a hit can match, NOT subtrees left out: for highlighting."""
    out = []

    def visit(node):
        if isinstance(node, wq.Not):
            return
        if isinstance(node, wq.AndNot):
            visit(node.a)
            return
        if isinstance(node, ExactPhrase):
            out.append(("exact", node))  # the phrase as written, not its field's stems
            return
        if node.is_leaf() or isinstance(node, wq.Phrase):
            out.append((getattr(node, "fieldname", None), node))
            return
        for child in node.children():
            visit(child)

    visit(q)
    return out
