"""The Malay stemmer's faster Sastrawi (``indexer.analyse.latin``): the same stems as
Sastrawi's own ``Stemmer`` with the same dictionary, word for word.

Prefix visitors are skipped for words that begin with none of the prefixes their rules
need (``RULE_PREFIXES``); the table is derived again here from Sastrawi's source, so an
upgrade of Sastrawi that changes a rule fails this test instead of changing stems.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
import textwrap

from indexer.analyse import latin


def _prefixes_in_source(cls) -> tuple[str, ...]:
    """What ``cls.disambiguate`` needs a word to begin with: the literal start of each
    pattern it matches the word against, and each word it compares the word with; and
    that it returns None otherwise (its only statements: those comparisons, one
    ``matches = re.match(...)``, and ``if matches:``)."""
    fn = ast.parse(textwrap.dedent(inspect.getsource(cls.disambiguate))).body[0]
    docstring = (ast.Expr, ast.Constant)
    body = [
        n
        for n in fn.body
        if not (isinstance(n, docstring[0]) and isinstance(n.value, docstring[1]))
    ]
    found = []
    for node in body:
        if isinstance(node, ast.If) and ast.unparse(node.test).startswith("word =="):
            found.append(node.test.comparators[0].value)
            assert all(isinstance(n, ast.Return) for n in node.body) and not node.orelse
        elif isinstance(node, ast.Assign):
            call = node.value
            assert ast.unparse(call.func) == "re.match" and ast.unparse(call.args[1]) == "word"
            found.append(re.match(r"\^?([a-z]*)", call.args[0].value).group(1))
        else:
            assert isinstance(node, ast.If) and ast.unparse(node.test) == "matches", cls
            assert not node.orelse
    return tuple(sorted(set(found)))


def test_rule_prefixes_match_sastrawi_source():
    import Sastrawi.Morphology.Disambiguator as rules

    derived = {}
    for info in pkgutil.iter_modules(rules.__path__):
        module = importlib.import_module(f"{rules.__name__}.{info.name}")
        for name, cls in vars(module).items():
            own = isinstance(cls, type) and cls.__module__ == module.__name__
            if own and hasattr(cls, "disambiguate"):
                derived[name.removeprefix("DisambiguatorPrefixRule")] = _prefixes_in_source(cls)
    assert derived == latin.RULE_PREFIXES


def _plain_and_gated():
    from Sastrawi.Dictionary.ArrayDictionary import ArrayDictionary
    from Sastrawi.Stemmer.Stemmer import Stemmer
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    words = StemmerFactory().get_words() + latin._read_list("ms_roots.txt")
    dictionary = ArrayDictionary(words)
    return Stemmer(dictionary), latin._sastrawi_stemmer_class()(dictionary)


def _affixed_words() -> list[str]:
    """Roots with Malay/Indonesian prefixes, suffixes and both, reduplicated and with
    clitics: the shapes every rule and the suffix-restoring loop take."""
    roots = [
        "ajar", "tahan", "kerja", "satu", "baca", "tulis", "pakai", "rasa", "lawan", "sama",
        "ambil", "uji", "ikut", "guna", "kaji", "hantar", "nilai", "cari", "dengar", "lihat",
        "rancang", "bangun", "serang", "tembak", "undi", "ekonomi", "perintah", "selamat",
        "raja", "menteri", "gerak", "rekod", "layan", "pilih", "jual", "beli", "terima",
        "catat", "syarat", "nyanyi", "fikir", "wakil", "kuasa", "tindak", "lapor", "ubah",
    ]  # fmt: skip
    prefixes = [
        "", "ber", "be", "bel", "ter", "te", "me", "mem", "men", "meng", "menge", "meny",
        "memper", "mempe", "pe", "per", "pem", "pen", "peng", "penge", "peny", "pel",
        "di", "diper", "ke", "se", "ku", "kau", "te", "mel", "mer",
    ]  # fmt: skip
    suffixes = ["", "kan", "an", "i", "nya", "lah", "kah", "pun", "kannya", "annya", "ku", "mu"]
    words = {p + r + s for r in roots for p in prefixes for s in suffixes}
    for r in roots:
        words |= {f"{r}-{r}", f"ber{r}-{r}an", f"{r}-{r}nya", f"se{r}-{r}nya", f"{r}-{r}-nya"}
    words |= {"belajar", "pelajar", "pelajaran", "mempelajari", "pembelajaran", "kerjasama"}
    return sorted(words)


def test_gated_stemmer_gives_sastrawi_stems():
    plain, gated = _plain_and_gated()
    words = _affixed_words()
    assert len(words) > 10_000
    differ = [(w, plain.stem_word(w), gated.stem_word(w)) for w in words]
    differ = [d for d in differ if d[1] != d[2]]
    assert differ == []


def test_gated_stemmer_skips_rules():
    plain, gated = _plain_and_gated()
    visitors = gated.visitor_provider.prefix_visitors
    gated_rules = [v for v in visitors if isinstance(v, latin._GatedRule)]
    # every rule but the infix ones (37-40), which can match any word
    assert len(gated_rules) >= 30
    assert not any(isinstance(v, latin._GatedRule) for v in plain.visitor_provider.prefix_visitors)
    assert latin.stemmer_for("ms")("pertahanan") == "pertahanan"  # protected
    assert latin.stemmer_for("ms")("mempelajari") == plain.stem_word("mempelajari")


def test_sastrawis_stem_as_pattern_is_replaced_by_the_same_literal_removal():
    """Sastrawi notes a removal as ``re.sub(stem, "", word, count=1)``; mlsearch's stemmer
    gives those modules ``_LiteralStemRe``, whose ``sub`` is ``re.sub``'s result for any
    pattern, replacing without compiling when the pattern is letters, digits, hyphens."""
    import importlib
    import random
    import re

    from indexer.analyse import latin

    latin.stemmer_for("ms")("mempertahankan")
    for name in latin._STEM_AS_PATTERN:
        module = importlib.import_module(f"Sastrawi.Stemmer.Context.Visitor.{name}")
        assert isinstance(module.re, latin._LiteralStemRe)
    sub = latin._LiteralStemRe().sub
    rng = random.Random(1)
    alpha = "abcdeélmn-2½.*()+"
    for _ in range(20_000):
        word = "".join(rng.choice(alpha) for _ in range(rng.randint(0, 9)))
        pattern = "".join(rng.choice(alpha[:11]) for _ in range(rng.randint(1, 5)))
        if rng.random() < 0.5 and word:
            i = rng.randrange(len(word))
            pattern = word[i : i + rng.randint(1, 6)]
        try:
            expected = re.sub(pattern, "", word, count=1)
        except re.error:
            continue
        assert sub(pattern, "", word, count=1) == expected, (pattern, word)
    assert sub(r"(i|kan|an)$", "", "makan", count=1) == "ma"


def test_a_stem_of_four_letters_or_more_stands_in_its_word_but_for_its_first_letter():
    """What ``search.snippets._keys`` relies on to stem only the words of a hit's body
    that can stem to a Malay term of the query: affixes are stripped and a root's first
    letter may be recoded (menulis -> tulis), the rest of the root stays in the word."""
    from search.snippets import _keys

    stem = latin.stemmer_for("ms")
    words = _affixed_words() + ["menulis", "menyapu", "memperkenalkan", "kerajaannya"]
    found = [(w, stem(w)) for w in words]
    found = [(w, s) for w, s in found if len(s) >= 4]
    assert len(found) > 10_000
    assert [(w, s) for w, s in found if not any(k in w for k in _keys([s]))] == []


def test_english_stems_of_many_words_are_each_words_stem():
    words = ["colour", "ministers", "dying", "aeroplane", "running", "running", "x", ""]
    batch, single = latin.EnglishStemmer(), latin.EnglishStemmer()
    assert batch.many(words) == [single(w) for w in words]
    assert batch.many(words) == [single(w) for w in words]  # from its cache
