"""Readers: find article files on disk and turn them into :class:`~indexer.article.Article`.

Supported inputs (see ``SUPPORTED_SUFFIXES``): plain text, Markdown, HTML, JSON (one object,
a list of objects, or concatenated objects), JSON Lines, and gzipped JSON / JSON Lines.

Nothing here raises for bad content: every file or record that cannot be used becomes a
:class:`~indexer.article.Skipped` with a reason fit to show a user.  JSON Lines (gzipped or
not) and JSON documents are streamed; text and HTML files are read whole but only up to
``MAX_TEXT_BYTES``.

Article ids: a text/Markdown/HTML file's id is its path relative to the root
(``SourceFile.rel``).  A JSON record's id is the record's own ``id`` field when it has one,
else ``"<rel>#<n>"`` where ``n`` is the 1-based line number in a JSON Lines file and the
0-based record index in a JSON file.
"""

from __future__ import annotations

import codecs
import contextlib
import gzip
import json
import os
import re
import warnings
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from indexer import dates
from indexer.article import Article, Skipped
from indexer.errors import UnreadableFileError

__all__ = [
    "SUPPORTED_SUFFIXES",
    "MAX_TEXT_BYTES",
    "SourceFile",
    "discover",
    "read_file",
    "read_text_article",
    "read_html_article",
    "decode_bytes",
    "derive_title",
]

SUPPORTED_SUFFIXES: tuple[str, ...] = (
    ".txt",
    ".md",
    ".markdown",
    ".html",
    ".htm",
    ".json",
    ".jsonl",
    ".ndjson",
    ".json.gz",
    ".jsonl.gz",
    ".ndjson.gz",
)
_TEXT_SUFFIXES = (".txt",)
_MARKDOWN_SUFFIXES = (".md", ".markdown")
_HTML_SUFFIXES = (".html", ".htm")
_JSON_LINES_SUFFIXES = (".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz")

MAX_TEXT_BYTES = 50 * 1024 * 1024  # text/HTML files above this are skipped unread
MAX_RECORD_BYTES = 50 * 1024 * 1024  # one JSON line / one JSON value may not exceed this
_SNIFF_BYTES = 8192
_CHUNK = 1 << 16


def _suffix_of(name: str) -> str | None:
    """The supported suffix ``name`` ends with (case-insensitive), or None."""
    lower = name.lower()
    for suffix in sorted(SUPPORTED_SUFFIXES, key=len, reverse=True):
        if lower.endswith(suffix) and len(lower) > len(suffix):
            return suffix
    return None


# ----------------------------------------------------------------------------------------
# discovery
# ----------------------------------------------------------------------------------------


@dataclass
class SourceFile:
    """A file found by :func:`discover`."""

    path: Path  # absolute path (symlinks not resolved)
    rel: str  # relative to the root given, POSIX separators; a root that is a file: its name
    size: int
    mtime_ns: int


def discover(roots: Sequence[str | Path]) -> Iterator[SourceFile | Skipped]:
    """Walk each root (a folder, recursively, or a single file) and yield supported files.

    Files of each root are yielded sorted by ``rel``; roots are taken in the order given, and
    a file reached twice (overlapping roots, symlinks) is yielded once.  Names starting with
    ``.`` below a root are ignored, as are files with unsupported suffixes.  Symlinked files
    and directories are followed, but a directory is never entered twice, so symlink loops
    end.  Unreadable directories, missing roots, broken symlinks and a root file with an
    unsupported suffix yield :class:`Skipped`.
    """
    seen_files: set[tuple[int, int]] = set()
    for root in roots:
        root_path = Path(os.path.abspath(os.fspath(root)))
        shown = os.fspath(root)
        try:
            st = root_path.stat()
        except OSError as e:
            yield Skipped(path=shown, reason=f"cannot read: {_os_reason(e)}")
            continue
        if root_path.is_dir():
            found: list[tuple[str, Path, os.stat_result]] = []
            yield from _walk(root_path, found)
            found.sort(key=lambda f: f[0])
            for rel, path, fst in found:
                key = (fst.st_dev, fst.st_ino)
                if key in seen_files:
                    continue
                seen_files.add(key)
                yield SourceFile(path=path, rel=rel, size=fst.st_size, mtime_ns=fst.st_mtime_ns)
        elif root_path.is_file():
            if _suffix_of(root_path.name) is None:
                yield Skipped(path=root_path.name, reason="unsupported file type")
                continue
            key = (st.st_dev, st.st_ino)
            if key in seen_files:
                continue
            seen_files.add(key)
            yield SourceFile(
                path=root_path, rel=root_path.name, size=st.st_size, mtime_ns=st.st_mtime_ns
            )
        else:
            yield Skipped(path=shown, reason="not a regular file or directory")


def _os_reason(e: OSError) -> str:
    return e.strerror or str(e)


def _walk(root: Path, found: list[tuple[str, Path, os.stat_result]]) -> Iterator[Skipped]:
    """Depth-first walk collecting supported files into ``found``; yields Skipped."""
    try:
        root_st = root.stat()
        visited = {(root_st.st_dev, root_st.st_ino)}
    except OSError:
        visited = set()
    stack: list[tuple[Path, tuple[str, ...]]] = [(root, ())]
    while stack:
        folder, parts = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as e:
            rel = "/".join(parts) or "."
            yield Skipped(path=rel, reason=f"cannot read directory: {_os_reason(e)}")
            continue
        subdirs: list[tuple[Path, tuple[str, ...]]] = []
        for entry in entries:
            name = entry.name
            if name.startswith("."):
                continue
            rel_parts = (*parts, name)
            try:
                is_dir = entry.is_dir()  # follows symlinks
                is_file = not is_dir and entry.is_file()
            except OSError:
                continue
            if is_dir:
                try:
                    st = entry.stat()
                except OSError as e:
                    yield Skipped(
                        path="/".join(rel_parts), reason=f"cannot read directory: {_os_reason(e)}"
                    )
                    continue
                key = (st.st_dev, st.st_ino)
                if key in visited:
                    continue  # symlink loop or a directory already walked
                visited.add(key)
                subdirs.append((Path(entry.path), rel_parts))
            elif _suffix_of(name) is None:
                continue
            elif is_file:
                try:
                    st = entry.stat()
                except OSError as e:
                    yield Skipped(path="/".join(rel_parts), reason=f"cannot read: {_os_reason(e)}")
                    continue
                found.append(("/".join(rel_parts), Path(entry.path), st))
            elif entry.is_symlink():
                yield Skipped(path="/".join(rel_parts), reason="broken symbolic link")
        stack.extend(reversed(subdirs))


# ----------------------------------------------------------------------------------------
# decoding
# ----------------------------------------------------------------------------------------

UNDECODABLE = "cannot decode: not UTF-8, UTF-16, GB18030 or Big5"

# The 800 most frequent characters of Simplified Chinese news (character counts over a
# Mainland news transcript corpus), plus the Traditional forms of the same characters (via
# OpenCC s2t/s2hk/s2tw).  Used only to tell GB18030 from Big5: a wrong decoding of either
# yields valid but arbitrary, mostly rare characters.
_COMMON_SIMPLIFIED = (
    "国的中发和新人在大全会一展年日作业地进动平同方化行为主建出民要部加以家实成高合强"
    "工等力重了近生共持总月天开上政产对时关多区习推个有党体设长今务经来表是代现军增美"
    "面能不员机提通议理系量保央定领前好文到统示各将斯十制治委我深战续入市安公目海坚交"
    "两联度运万际水用基次法学利济分记社俄心更事自道场向席过北色外下期于第调指正数创资"
    "与书特科性内施点式导克明造电局称当西路技质活举乌程南项间域本报农流比布组快计立题"
    "亿升应这防台元列义支达规三步协就最信护源带品已任从界世企服击江改据决广相巴首稳精"
    "村问超育京亚华东门至得团们态二标金者四结情确物球后及院打完城线五互级位革取供略集"
    "小放里气队尔引山意空起届效解研策装境风商口断受兰构州并求管收之优航罗节例消落势教"
    "传车其接种众织拉积可火办省费投播思伊神着命复常志群约参视马论备准游春型贸想致愿历"
    "他术干促专见还责河史环果核也族网极显兴维障智把此速双名预武划别融周做模边旅形府转"
    "处卫原件突先查贯条础老医验话沙所李变港铁绿欧权批告严德乡土格继客善影使类纪讲无案"
    "走监非控灾福子都友反健回响越助朗易营切感彻措奋整署由识宣阿林谈手县青范层连访站单"
    "降媒坦病粮认围未号百斗需观紧扩古启然士始功险让挥哈清八根益袭说居息破米食值聚夫字"
    "王热迎宁念洲景负抗征具疫康去难普争器率救献价赛真尼伟班检输察季园采湖段苏富况密看"
    "庆截乐包奥光幕均副再货望累英花链冬获究盟职希峰攻弹往如田少选司头试丰午测考急而抓"
    "龙审雪充停则亡伴底澳该综千因章牢馆勒校被红身晚死烈声排践承低图培闻依祝伙座讯份必"
    "远终直置张跨执财油陆满言注良援给雨警额补修博努飞召足固待守韩温贡半塞配兵才官知贺"
    "库律振欢养轮税演户较岸黎石移星船六样卡扎送何刻冲射吉占驻倡疆亩草容托减筹遇扬担夏"
    "序黄每冠洋疗临阶涉印遗故算坛诊证住针湾频片纳伤端绕拓象激键房假载探波售亲退仪购延"
    "评黑荣督遭药架银洪川失贫塔享丽沿冰惠销候络随签岛爱瓦盖桥余久香恢离太状害九挑派云"
)
_COMMON_TRADITIONAL_EXTRA = (
    "醫會預熱廣團審發幹駐戶時參講範擊況籌書讓裡説監決驗衆給診寧億條報斷電遊紀顯應隊療"
    "雲聞風額變險該橋稱職負創臨財戰單載獲帶繞當場稅衞體黨項見亞離採夥辦眾勢總灣穩堅員"
    "迴遺彈啓間嚴進餘屆復據區島裝專檢颱鬥務衛軍轉還車組協確學線規養動環奧過樣農邊談綜"
    "輪傳館為聯馬機關實減舉貢國織遠將記烏備視園蓋購設題濟處測際調繼鍵習資絡麗節劃證類"
    "歷樂訊襲話準飛韓爲費點歐親門徵標偉選權頻峯擔約糧傷難態爾滿籤說業庫輸結災蘇爭銷質"
    "認優綠達賽試論溫護奮較畝羣長續張響獻領啟級網極數層開歡於頭陸華隨銀擴導徹終執識萬"
    "雙計則縣並蘭無貨願運踐紅價產鄉貫榮來義貿經術營貧維連統從針現慶評兩與問內強圖緊構"
    "儀龍議興訪聲觀豐氣賀黃個裏東羅積階對狀鏈別愛鐵壇這補種礎衝納揚責圍著們號揮藥"
)
_COMMON_CJK = frozenset(_COMMON_SIMPLIFIED + _COMMON_TRADITIONAL_EXTRA)
_GOOD_PUNCT = frozenset("—–…“”‘’·•")
_BIG5_CODECS = ("big5", "cp950", "big5hkscs")
_UTF8_BOM = codecs.BOM_UTF8
_UTF32_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+")
_SCORE_SAMPLE = 200_000
_REPLACEMENT_RUN = re.compile("\ufffd+")


def _char_score(ch: str) -> float:
    """How plausible a character is in Chinese news text (ASCII is neutral)."""
    o = ord(ch)
    if o < 0x80:
        return 0.0
    if ch in _COMMON_CJK:
        return 3.0
    if 0x4E00 <= o <= 0x9FFF:
        return 0.0
    if 0x3000 <= o <= 0x303F or 0xFF01 <= o <= 0xFF5E or ch in _GOOD_PUNCT:
        return 1.0
    if 0x3400 <= o <= 0x4DBF:  # CJK extension A
        return -2.0
    if 0xF900 <= o <= 0xFAFF:  # compatibility ideographs
        return -3.0
    if 0xE000 <= o <= 0xF8FF:  # private use
        return -5.0
    return -2.0  # kana, Hangul, Cyrillic, box drawing, other symbols


def _cjk_score(text: str) -> float:
    return sum(_char_score(ch) for ch in text[:_SCORE_SAMPLE])


def _is_good(ch: str) -> bool:
    o = ord(ch)
    return ch in _COMMON_CJK or 0x3000 <= o <= 0x303F or 0xFF01 <= o <= 0xFF5E or ch in _GOOD_PUNCT


def _plausible_chinese(text: str) -> bool:
    """False when a GB18030/Big5 decoding is clearly garbage.

    Western text in a legacy single-byte encoding (cp1252 smart quotes, accented letters)
    often decodes "successfully" as GB18030 or Big5 into isolated rare ideographs glued to
    Latin letters.  Real Chinese text has runs of mostly common characters.
    """
    sample = text[:_SCORE_SAMPLE]
    n = good = runs = glued = 0
    for m in _NON_ASCII_RUN.finditer(sample):
        run = m.group()
        runs += 1
        n += len(run)
        good += sum(1 for ch in run if _is_good(ch))
        if len(run) == 1 and not _is_good(run):
            a, b = m.start(), m.end()
            if (a > 0 and sample[a - 1].isalnum()) or (b < len(sample) and sample[b].isalnum()):
                glued += 1
    if n == 0:
        return True
    if n >= 20 and good < 0.2 * n:
        return False
    return glued * 2 <= runs


def _decode_big5(data: bytes) -> str | None:
    for codec in _BIG5_CODECS:
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            continue
    return None


def _damaged_utf8(data: bytes) -> str | None:
    """UTF-8 with a few corrupt bytes replaced by U+FFFD, when the data is clearly UTF-8.

    At most one damaged place per 100 characters (or 2) is allowed, and valid multi-byte
    characters must outnumber them ten to one, so legacy-encoded Chinese or Western text is
    never taken for damaged UTF-8.
    """
    text = data.decode("utf-8", errors="replace")
    bad = len(_REPLACEMENT_RUN.findall(text))  # damaged places, each one or more U+FFFD
    if bad > max(2, len(text) // 100):
        return None
    multibyte = sum(1 for ch in text if ord(ch) >= 0x80) - text.count("\ufffd")
    return text if multibyte >= 10 * bad else None


def decode_bytes(data: bytes) -> str:
    """Decode file content whose encoding is not declared.

    In order: UTF-8 (a BOM is removed), UTF-32/UTF-16 with a BOM, UTF-8 with a few corrupt
    bytes (replaced by U+FFFD; only when it is otherwise clearly UTF-8), then GB18030 versus
    Big5, chosen by how Chinese each decoded text looks (each usually decodes the other's
    bytes without error).  A GB18030/Big5 decoding that is clearly garbage (Western text in
    a legacy encoding) is refused.  Raises :class:`UnreadableFileError` when nothing fits.
    """
    if data.startswith(_UTF8_BOM):
        data = data[len(_UTF8_BOM) :]
    elif data.startswith(_UTF32_BOMS):
        try:
            return data.decode("utf-32")
        except UnicodeDecodeError:
            raise UnreadableFileError("cannot decode: invalid UTF-32 after a UTF-32 BOM") from None
    elif data.startswith(_UTF16_BOMS):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise UnreadableFileError("cannot decode: invalid UTF-16 after a UTF-16 BOM") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    text = _damaged_utf8(data)
    if text is not None:
        return text
    candidates: list[str] = []
    with contextlib.suppress(UnicodeDecodeError):
        candidates.append(data.decode("gb18030"))
    big5 = _decode_big5(data)
    if big5 is not None:
        candidates.append(big5)
    if candidates:
        # max() keeps the first of equal scores: GB18030 (Simplified, as used in Malaysia)
        best = max(candidates, key=_cjk_score)
        if _plausible_chinese(best):
            return best
    raise UnreadableFileError(UNDECODABLE)


def _looks_binary(head: bytes) -> bool:
    """NUL bytes in the first bytes, unless the data is UTF-16/32 with a BOM."""
    if head.startswith(_UTF32_BOMS) or head.startswith(_UTF16_BOMS):
        return False
    return b"\x00" in head[:_SNIFF_BYTES]


# ----------------------------------------------------------------------------------------
# plain text and Markdown
# ----------------------------------------------------------------------------------------

_LINE_BREAKS = str.maketrans(
    {"\u2028": "\n", "\u2029": "\n", "\x0b": "\n", "\x0c": "\n", "\x85": "\n"}
)
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f\ufeff\ufffe]")
_CJK_CLASS = r"\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
# a source line break inside a paragraph between two CJK characters (HTML): no space there
_CJK_BREAK = re.compile(rf"(?<=[{_CJK_CLASS}])[ \t]*\n\s*(?=[{_CJK_CLASS}])")

_BREADCRUMB = re.compile(r"^[-•›»*]\s+(\S.*)$")
_HOME_WORDS = frozenset(
    ["home", "homepage", "home page", "utama", "laman utama", "halaman utama", "beranda"]
    + ["首页", "主页", "首頁", "主頁"]
)
_BREADCRUMB_TRAIL = re.compile(
    r"^(?:home|utama|laman utama|首页|首頁|主页|主頁)\s*[>›»/|]\s*\S", re.IGNORECASE
)
_SENTENCE_END = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s)|[.!?]+[\"'”’)\]]*$|[。！？]+[”’」』）]*")
_ENDS_SENTENCE = re.compile(r"[.!?。！？][\"'”’)\]」』）]*$")
_ABBREVIATION_WORDS = (
    "mr mrs ms dr prof st jr sr no nos vs etc e.g i.e u.s u.k u.n a.m p.m jan feb mar apr "
    "jun jul aug sep sept oct nov dec bhd sdn jln kg tel dll dsb sdr hj dr. lt col gen capt "
    "sgt insp supt dsp asp datuk dato"
)
_ABBREVIATIONS = frozenset(_ABBREVIATION_WORDS.split())
_DATELINE = re.compile(r"^[A-Z][A-Z .'’\-]{1,40}(?:\s*\([A-Za-z .]+\))?\s*[:：]\s+(?=\S)")
_PRESS_LABEL = re.compile(
    r"^(?:siaran media|siaran akhbar|kenyataan media|kenyataan akhbar|media release|"
    r"press release|media statement|press statement|news release|for immediate release|"
    r"untuk siaran segera|untuk siaran serta-merta|新闻稿|新聞稿|文告|媒体声明|媒體聲明|新闻公报|"
    r"新聞公報)[\s:.：]*$",
    re.IGNORECASE,
)
_REFERENCE = re.compile(r"^(?=.*\d)(?=.*[/.])[\w./()\s:\-]{1,60}$")
_TITLE_MAX = 200
_TITLE_CUT = 120


def _normalise_text(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_LINE_BREAKS)
    return _CONTROL.sub("", text)


def _collapse(text: str) -> str:
    """One line: runs of whitespace become one space."""
    return " ".join(text.split())


def _collapse_html(text: str) -> str:
    """Like _collapse, but a source line break between CJK characters disappears."""
    if not text.isascii():
        text = _CJK_BREAK.sub("", text)
    return " ".join(text.split())


def _breadcrumb_end(lines: list[str], start: int) -> int:
    """Index of the first line after a navigation breadcrumb block starting at ``start``."""
    if start >= len(lines):
        return start
    if _BREADCRUMB_TRAIL.match(lines[start]) and len(lines[start]) <= 200:
        return start + 1
    items: list[str] = []
    i = start
    while i < len(lines):
        m = _BREADCRUMB.match(lines[i])
        if not m or len(lines[i]) > _TITLE_MAX:
            break
        items.append(m.group(1).strip())
        i += 1
    if not items:
        return start
    nxt = next((line for line in lines[i:] if line), "")
    if items[0].lower() in _HOME_WORDS and len(items) >= 2:
        return i
    if _collapse(items[-1]) == _collapse(nxt) and nxt:
        return i
    return start


def _first_sentence(text: str) -> str:
    for m in _SENTENCE_END.finditer(text):
        end = m.end()
        if m.group()[0] == ".":
            before = text[: m.start()].rsplit(None, 1)
            word = before[-1].lower().lstrip("(\"'“‘") if before else ""
            if word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha()):
                continue
        return text[:end].strip()
    return text.strip()


def _cut_title(text: str) -> str:
    if len(text) <= _TITLE_MAX:
        return text
    cut = text[:_TITLE_CUT]
    space = cut.rfind(" ")
    if space > _TITLE_CUT // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:-–—") + "…"


def _title_from_lede(line: str) -> str:
    """A title for an article whose first line is already body text."""
    m = _DATELINE.match(line)
    if m and len(line) > m.end() + 10:
        line = line[m.end() :]
    return _cut_title(_collapse(_first_sentence(line)))


def _looks_like_lede(line: str) -> bool:
    """A first line that is a paragraph of body text rather than a headline."""
    n = len(line)
    return n > _TITLE_MAX or (n > 100 and bool(_ENDS_SENTENCE.search(line)))


def derive_title(text: str) -> str:
    """A title for text that has none of its own: the first line or the first sentence."""
    for line in _normalise_text(text).split("\n"):
        line = line.strip()
        if line:
            return _title_from_lede(line) if _looks_like_lede(line) else _cut_title(_collapse(line))
    return ""


def _press_release_title(lines: list[str], content: list[int]) -> int | None:
    """In a media release (letterhead, "SIARAN MEDIA", reference number, headline) the index
    of the headline line, or None."""
    for pos, i in enumerate(content[:4]):
        if not _PRESS_LABEL.match(lines[i]):
            continue
        for j in content[pos + 1 : pos + 4]:
            line = lines[j]
            if _PRESS_LABEL.match(line) or _REFERENCE.match(line) or dates.date_marker(line):
                continue
            if _looks_like_lede(line):
                return None
            return j
        return None
    return None


def _paragraphs(lines: Iterable[str]) -> str:
    paragraphs: list[str] = []
    current: list[str] = []
    for line in lines:
        if line:
            current.append(line)
        elif current:
            paragraphs.append("\n".join(current))
            current = []
    if current:
        paragraphs.append("\n".join(current))
    return "\n\n".join(paragraphs)


def _parse_lines(lines: list[str], title: str | None = None) -> tuple[str, str, date | None]:
    """Title, body and date of an article given as stripped lines (shared by text/Markdown)."""
    start = next((i for i, line in enumerate(lines) if line), len(lines))
    lines = lines[_breadcrumb_end(lines, start) :]

    # a leading "date 2025-09-26" marker, possibly followed by the first paragraph
    prefix_date = None
    lede = False
    first = next((i for i, line in enumerate(lines) if line), None)
    if first is not None:
        prefix_date, rest = dates.split_date_prefix(lines[first])
        if prefix_date is not None:
            lines[first] = rest
            lede = bool(rest)

    found, markers = dates.extract_article_date(lines)
    for i in markers:
        lines[i] = ""
    article_date = prefix_date or found

    content = [i for i, line in enumerate(lines) if line]
    title_idx: int | None = None
    if title is None:
        if not content:
            return "", "", article_date
        release = _press_release_title(lines, content)
        first_line = lines[content[0]]
        if release is not None:
            title_idx = release
            title = _collapse(lines[release])
            lines[release] = ""
        elif lede or _looks_like_lede(first_line):
            title = _title_from_lede(first_line)  # the line stays in the body
        else:
            title_idx = content[0]
            title = _collapse(first_line)
            lines[title_idx] = ""
    # the headline repeated right after itself (or at the start of the body)
    after = title_idx + 1 if title_idx is not None else 0
    nxt = next((i for i in range(after, len(lines)) if lines[i]), None)
    if nxt is not None and title and _collapse(lines[nxt]) == title:
        lines[nxt] = ""
    return title, _paragraphs(lines), article_date


def read_text_article(text: str, rel: str, markdown: bool = False) -> Article:
    """Parse a plain-text (or Markdown) article; never raises.

    Navigation breadcrumbs at the top are dropped; the title is the first content line (or,
    when the text starts straight with a paragraph, its first sentence); date markers
    (``date 2025-09-26``, ``Published at ...``, a date line) give the date and are removed;
    the body keeps every other line, paragraphs separated by a blank line.
    """
    text = _normalise_text(text or "")
    meta: dict[str, str] = {}
    title: str | None = None
    if markdown:
        meta, lines, title = _markdown_lines(text)
    else:
        lines = [line.strip() for line in text.split("\n")]
    title, body, article_date = _parse_lines(lines, title)
    if meta.get("date"):
        article_date = dates.parse_date_value(meta["date"]) or article_date
    return Article(
        id=rel,
        title=title,
        body=body,
        date=article_date,
        source=meta.get("source") or None,
        url=meta.get("url") or None,
        path=rel,
    )


_FENCE = re.compile(r"^\s*(```|~~~)")
_ATX = re.compile(r"^\s{0,3}(#{1,6})(?:\s+(.*))?$")  # closing #s: _atx_text
_SETEXT_1 = re.compile(r"^\s{0,3}=+\s*$")
_SETEXT_2 = re.compile(r"^\s{0,3}-+\s*$")
_HR = re.compile(r"^\s{0,3}([-*_])(?:\s*\1){2,}\s*$")
_REF_DEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*\S+")
_QUOTE = re.compile(r"^\s*(?:>\s?)+")
_BULLET = re.compile(r"^\s*[-*+]\s+")
_FRONT_KEY = re.compile(r"^([A-Za-z_][\w-]*)\s*:\s*(.*)$")
# Spans are bounded (300 characters of text, 2000 of url): unbounded, every unclosed
# opener scanned to the end of the line, quadratic ("**a **a **a …": 16 kB took 14 s).
_INLINE = [
    (re.compile(r"!\[[^\]]{0,300}\]\([^)]{0,2000}\)"), ""),  # images dropped
    (re.compile(r"!\[[^\]]{0,300}\]\[[^\]]{0,300}\]"), ""),
    (re.compile(r"\[([^\]]{1,300})\]\([^)]{0,2000}\)"), r"\1"),  # links keep their text
    (re.compile(r"\[([^\]]{1,300})\]\[[^\]]{0,300}\]"), r"\1"),
    (re.compile(r"<((?:https?|mailto):[^>\s]{1,2000})>"), r"\1"),
    (re.compile(r"`([^`]+)`"), r"\1"),
    (re.compile(r"(\*\*|__)(?=\S)(.{1,300}?)(?<=\S)\1"), r"\2"),
    (re.compile(r"(?<![\w*])\*(?=\S)(.{1,300}?)(?<=\S)\*(?![\w*])"), r"\1"),
    (re.compile(r"(?<![\w_])_(?=\S)(.{1,300}?)(?<=\S)_(?![\w_])"), r"\1"),
    (re.compile(r"~~(?=\S)(.{1,300}?)(?<=\S)~~"), r"\1"),
    (re.compile(r"\\([\\`*_{}\[\]()#+\-.!>~|])"), r"\1"),
]


def _strip_inline(text: str) -> str:
    for pattern, repl in _INLINE:
        text = pattern.sub(repl, text)
    return text.strip()


def _atx_text(text: str) -> str:
    """An ATX heading's text without its closing ``#`` sequence (one after a space)."""
    text = text.strip()
    bare = text.rstrip("#")
    return bare.strip() if bare != text and bare[-1:].isspace() else text


def _front_matter(lines: list[str]) -> tuple[dict[str, str], int]:
    """YAML-ish front matter between ``---`` lines: (simple key/values, first line after)."""
    if not lines or lines[0].strip() != "---":
        return {}, 0
    for end in range(1, min(len(lines), 200)):
        if lines[end].strip() in ("---", "..."):
            meta: dict[str, str] = {}
            for line in lines[1:end]:
                m = _FRONT_KEY.match(line.strip())
                if m:
                    value = m.group(2).strip()
                    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
                        value = value[1:-1]
                    meta.setdefault(m.group(1).lower(), value)
            return meta, end + 1
    return {}, 0


def _markdown_lines(text: str) -> tuple[dict[str, str], list[str], str | None]:
    """Front matter, body lines with markup removed, and the title (if any)."""
    raw = text.split("\n")
    meta, start = _front_matter(raw)
    fm_title = _collapse(_strip_inline(meta.get("title", ""))) or None
    heading: str | None = None
    out: list[str] = []
    in_fence = False
    raw = raw[start:]
    for k, line in enumerate(raw):
        if _FENCE.match(line):
            in_fence = not in_fence
            out.append("")
            continue
        if in_fence:
            out.append(line.strip())
            continue
        m = _ATX.match(line)
        if m:
            level = len(m.group(1))
            text_ = _collapse(_strip_inline(_atx_text(m.group(2) or "")))
            if level == 1 and heading is None and text_ and fm_title is None:
                heading = text_
                out.append("")
                continue
            out.extend(["", text_, ""])
            continue
        nxt = raw[k + 1] if k + 1 < len(raw) else ""
        if line.strip() and not _HR.match(line) and _SETEXT_1.match(nxt):
            text_ = _collapse(_strip_inline(line))
            if heading is None and fm_title is None and text_:
                heading = text_
                out.append("")
            else:
                out.extend(["", text_, ""])
            continue
        if _SETEXT_1.match(line) and out and out[-1] == "":
            out.append("")
            continue
        if _HR.match(line) or _REF_DEF.match(line):
            out.append("")
            continue
        if _SETEXT_2.match(line) and out and out[-1]:
            out.append("")  # underline of a level-2 heading
            continue
        line = _QUOTE.sub("", line)
        line = _BULLET.sub("", line)
        out.append(_strip_inline(line))
    return meta, out, fm_title or heading


# ----------------------------------------------------------------------------------------
# HTML
# ----------------------------------------------------------------------------------------

_JUNK_TAGS = (
    "script",
    "style",
    "noscript",
    "iframe",
    "nav",
    "header",
    "footer",
    "aside",
    "form",
    "svg",
    "template",
    "button",
    "select",
    "object",
    "embed",
    "canvas",
    "dialog",
)
_JUNK_TOKEN = re.compile(
    r"^(?:nav|navbar|navigation|menu|menus|menubar|breadcrumb|breadcrumbs|footer|share|"
    r"shares|sharing|social|related|comment|comments|advert|adverts|advertisement|ad|ads|"
    r"newsletter|subscribe|cookie|cookies|promo|sponsored|popup|sidebar)$|"
    r"^(?:nav|menu|breadcrumb|footer|share|sharing|related|comment|advert)",
    re.IGNORECASE,
)
_TOKEN_SPLIT = re.compile(r"[\s_\-]+")
_PROTECTED_TAGS = frozenset(["html", "body", "main", "article"])
_BLOCK_TAG_NAMES = (
    "p div h1 h2 h3 h4 h5 h6 li ul ol dl dt dd br section article main blockquote tr table "
    "thead tbody tfoot figure figcaption pre address hr header footer aside nav details summary "
    "center caption fieldset legend"
)
_BLOCK_TAGS = frozenset(_BLOCK_TAG_NAMES.split())
_META_DATE_KEYS = (
    "article:published_time",
    "og:published_time",
    "datepublished",
    "date",
    "pubdate",
    "publishdate",
    "publish-date",
    "publish_date",
    "publication_date",
    "dc.date",
    "dc.date.issued",
    "dcterms.date",
    "dcterms.issued",
    "sailthru.date",
    "parsely-pub-date",
    "article.published",
)
_META_CHARSET = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)|<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_.:\-]+)""",
    re.IGNORECASE,
)
_CHARSET_ALIASES = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "gb_2312-80": "gb18030",
    "csgb2312": "gb18030",
    "chinese": "gb18030",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "utf-16": "utf-8",  # a meta tag in ASCII-compatible bytes cannot be UTF-16 (WHATWG)
    "utf-16le": "utf-8",
    "utf-16be": "utf-8",
}
_BIG5_NAMES = frozenset(["big5", "big5-hkscs", "x-x-big5", "cn-big5", "csbig5", "cp950"])


def _decode_html_bytes(data: bytes) -> str:
    """Decode HTML: a BOM, then a declared ``<meta charset>``, then :func:`decode_bytes`."""
    if data.startswith((_UTF8_BOM, *_UTF16_BOMS, *_UTF32_BOMS)):
        return decode_bytes(data)
    m = _META_CHARSET.search(data[:4096])
    if m:
        name = (m.group(1) or m.group(2)).decode("ascii").lower()
        if name in _BIG5_NAMES:
            text = _decode_big5(data)
            if text is not None:
                return text
        else:
            codec = _CHARSET_ALIASES.get(name, name)
            try:
                return data.decode(codec)
            except (LookupError, UnicodeError):  # UnicodeError: charset=undefined
                pass
    return decode_bytes(data)


def _soup(markup: str):
    from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning, XMLParsedAsHTMLWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        return BeautifulSoup(markup, "lxml")


def _attr_text(value) -> str:
    if isinstance(value, list):
        value = " ".join(value)
    return value.strip() if isinstance(value, str) else ""


def _metas(soup) -> dict[str, str]:
    """``<meta>`` contents keyed by lower-cased property/name/itemprop (first one wins)."""
    found: dict[str, str] = {}
    for tag in soup.find_all("meta"):
        content = _attr_text(tag.get("content"))
        if not content:
            continue
        for attr in ("property", "name", "itemprop"):
            key = _attr_text(tag.get(attr)).lower()
            if key:
                found.setdefault(key, content)
    return found


def _json_ld_dates(soup) -> Iterator[str]:
    for script in soup.find_all("script", attrs={"type": "application/ld+json"}):
        try:
            data = json.loads(script.string or "")
        except (ValueError, RecursionError):
            continue
        stack = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, dict):
                value = item.get("datePublished")
                if isinstance(value, str):
                    yield value
                stack.extend(v for v in item.values() if isinstance(v, dict | list))
            elif isinstance(item, list):
                stack.extend(item)


def _html_date(soup, metas: dict[str, str]) -> date | None:
    for key in _META_DATE_KEYS:
        if key in metas:
            d = dates.parse_date_value(metas[key])
            if d is not None:
                return d
    for tag in soup.find_all(attrs={"itemprop": "datePublished"}):
        d = dates.parse_date_value(_attr_text(tag.get("datetime") or tag.get("content")))
        if d is not None:
            return d
    for tag in soup.find_all("time"):
        d = dates.parse_date_value(_attr_text(tag.get("datetime")))
        if d is not None:
            return d
    for value in _json_ld_dates(soup):
        d = dates.parse_date_value(value)
        if d is not None:
            return d
    return None


def _is_junk(tag) -> bool:
    if tag.name in _PROTECTED_TAGS:
        return False
    if _attr_text(tag.get("role")).lower() in (
        "navigation",
        "banner",
        "contentinfo",
        "complementary",
    ):
        return True
    for attr in ("class", "id"):
        for token in _TOKEN_SPLIT.split(_attr_text(tag.get(attr))):
            if token and _JUNK_TOKEN.match(token):
                return True
    return False


def _attached(tag, soup) -> bool:
    """Whether ``tag`` is still in the document (not inside an extracted subtree)."""
    node = tag
    while node is not None:
        if node is soup:
            return True
        node = node.parent
    return False


def _remove_junk(soup) -> None:
    # extract() rather than decompose(): checking Tag.decomposed on a live tag makes bs4
    # search the whole subtree, which is quadratic on deeply nested pages
    for tag in soup.find_all(_JUNK_TAGS):
        if _attached(tag, soup):
            tag.extract()
    paragraph_text = sum(len(p.get_text()) for p in soup.find_all("p"))
    for tag in soup.find_all(True):
        if not tag.attrs or not _is_junk(tag) or not _attached(tag, soup):
            continue
        # never throw away the article itself because of an unlucky class name
        inner = sum(len(p.get_text()) for p in tag.find_all("p"))
        if paragraph_text and inner > 0.6 * paragraph_text and inner > 500:
            continue
        tag.extract()


def _block_paragraphs(root) -> list[str]:
    """Text of ``root`` split into paragraphs at block elements and ``<br>``."""
    from bs4 import NavigableString, Tag

    paragraphs: list[str] = []
    current: list[str] = []

    def flush() -> None:
        if current:
            text = _collapse_html("".join(current))
            if text:
                paragraphs.append(text)
            current.clear()

    stack: list[tuple[object, bool]] = [(root, False)]
    while stack:
        node, closing = stack.pop()
        if closing:
            flush()
            continue
        if isinstance(node, NavigableString):
            if type(node) is NavigableString:  # not comments, doctypes, CDATA, script text
                current.append(str(node))
            continue
        if not isinstance(node, Tag):
            continue
        if node.name == "br" or node.name == "hr":
            flush()
            continue
        if node.name in _BLOCK_TAGS:
            flush()
            stack.append((node, True))
        stack.extend((child, False) for child in reversed(node.contents))
    flush()
    return paragraphs


def _html_title(soup, metas: dict[str, str], site: str | None) -> str:
    title = _collapse(metas.get("og:title", ""))
    if not title:
        h1 = soup.find("h1")
        title = _collapse(h1.get_text(" ")) if h1 else ""
    if not title and soup.title is not None:
        title = _collapse(soup.title.get_text(" "))
        if site:
            for sep in (" | ", " - ", " – ", " — ", " :: "):
                if title.endswith(sep + site) and len(title) > len(sep + site):
                    title = title[: -len(sep + site)].strip()
                    break
    return title


def _canonical(soup) -> str | None:
    for link in soup.find_all("link", href=True):
        rel = link.get("rel") or []
        rels = [r.lower() for r in (rel if isinstance(rel, list) else rel.split())]
        if "canonical" in rels:
            return _attr_text(link.get("href")) or None
    return None


def read_html_article(html: str | bytes, rel: str) -> Article:
    """Parse an HTML news page (bytes are decoded per BOM / meta charset / sniffing).

    Raises :class:`UnreadableFileError` only when bytes cannot be decoded.
    """
    if isinstance(html, bytes):
        html = _decode_html_bytes(html)
    soup = _soup(_CONTROL.sub("", html))
    metas = _metas(soup)
    site = _collapse(metas.get("og:site_name", "")) or None
    title = _html_title(soup, metas, site)
    article_date = _html_date(soup, metas)
    url = metas.get("og:url") or _canonical(soup)

    _remove_junk(soup)
    candidates = soup.find_all("article")
    if candidates:
        root = max(candidates, key=lambda t: len(t.get_text()))
    else:
        root = soup.find("main") or soup.find(attrs={"role": "main"}) or soup.find("body") or soup
    paragraphs = _block_paragraphs(root)
    if paragraphs and title and paragraphs[0] == title:
        paragraphs.pop(0)
    found, markers = dates.extract_article_date(paragraphs)
    if markers:
        paragraphs = [p for i, p in enumerate(paragraphs) if i not in markers]
    if article_date is None:
        article_date = found or dates.find_date("\n".join(paragraphs)[:1000])
    if not title and paragraphs:
        title = derive_title(paragraphs[0])
    return Article(
        id=rel,
        title=title,
        body="\n\n".join(paragraphs),
        date=article_date,
        source=site,
        url=url.strip() if url else None,
        path=rel,
    )


# ----------------------------------------------------------------------------------------
# JSON and JSON Lines
# ----------------------------------------------------------------------------------------

_BODY_KEYS = ("body", "content", "text")
_DATE_KEYS = ("date", "published", "published_at", "publishedAt", "datePublished", "pubdate")
_URL_KEYS = ("url", "link")
_LANG_KEYS = ("lang", "language")


def _text_value(value) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "\n\n".join(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return ""


def _clean_body(text: str) -> str:
    """A JSON body: lines stripped, paragraphs kept, runs of blank lines collapsed."""
    text = _normalise_text(text)
    if "\n" not in text:
        return _collapse(text)
    return _paragraphs(line.strip() for line in text.split("\n"))


def _first_field(record: dict, keys: Sequence[str]):
    for key in keys:
        value = record.get(key)
        if value not in (None, ""):
            return value
    return None


def _record_article(record, rel: str, fallback: str, line: int | None) -> Article | Skipped:
    if not isinstance(record, dict):
        kind = {list: "an array", str: "a string", type(None): "null", bool: "a boolean"}.get(
            type(record), "a number"
        )
        where = f" at line {line}" if line is not None else ""
        return Skipped(
            path=rel, reason=f"record{where} is not a JSON object (got {kind})", line=line
        )
    title = _collapse(_normalise_text(_text_value(record.get("title") or record.get("headline"))))
    body = ""
    for key in _BODY_KEYS:
        body = _clean_body(_text_value(record.get(key)))
        if body:
            break
    if not title and not body:
        return Skipped(path=rel, reason="record has no text", line=line)
    if not title:
        title = derive_title(body)
    rid = record.get("id")
    if isinstance(rid, str | int | float) and not isinstance(rid, bool) and str(rid).strip():
        article_id = str(rid).strip()
    else:
        article_id = fallback

    def opt_str(keys: Sequence[str]) -> str | None:
        value = _first_field(record, keys)
        return value.strip() or None if isinstance(value, str) else None

    return Article(
        id=article_id,
        title=title,
        body=body,
        date=dates.parse_date_value(_first_field(record, _DATE_KEYS)),
        source=opt_str(("source", "site", "publisher")),
        url=opt_str(_URL_KEYS),
        path=rel,
        lang_hint=opt_str(_LANG_KEYS),
    )


def _open_binary(sf: SourceFile):
    if sf.path.name.lower().endswith(".gz"):
        return gzip.open(sf.path, "rb")
    return open(sf.path, "rb")  # noqa: SIM115 - closed by the caller's with-block


def _sniff(sf: SourceFile) -> Skipped | None:
    """A Skipped for a binary file or a ``.gz`` that is not gzip at all, else None.

    Damage further into a gzip stream is left to the reader, which first yields the records
    that precede it.
    """
    head = b""
    try:
        with _open_binary(sf) as f:
            while len(head) < _SNIFF_BYTES:
                chunk = f.read1(_SNIFF_BYTES - len(head))
                if not chunk:
                    break
                head += chunk
    except gzip.BadGzipFile as e:
        if "Not a gzipped file" in str(e):
            return Skipped(path=sf.rel, reason="not a gzip file")
    except (EOFError, zlib.error):
        pass
    if _looks_binary(head):
        return Skipped(path=sf.rel, reason="binary file")
    return None


def _gzip_reason(e: BaseException) -> str:
    if isinstance(e, EOFError):
        return "compressed data ends early"
    return str(e) or type(e).__name__


def _lines(f) -> Iterator[tuple[int, bytes | None]]:
    """(line number, raw line) pairs; a line longer than MAX_RECORD_BYTES gives None."""
    number = 0
    while True:
        raw = f.readline(MAX_RECORD_BYTES + 1)
        if not raw:
            return
        number += 1
        if len(raw) > MAX_RECORD_BYTES and not raw.endswith(b"\n"):
            while raw and not raw.endswith(b"\n"):  # skip the rest of the long line
                raw = f.readline(_CHUNK)
            yield number, None
            continue
        yield number, raw


def _read_json_lines(sf: SourceFile) -> Iterator[Article | Skipped]:
    rel = sf.rel
    any_content = False
    line = 0
    try:
        with _open_binary(sf) as f:
            for line, raw in _lines(f):
                if raw is None:
                    any_content = True
                    yield Skipped(path=rel, reason=f"line {line} is too long", line=line)
                    continue
                if line == 1 and raw.startswith(_UTF8_BOM):
                    raw = raw[len(_UTF8_BOM) :]
                if not raw.strip():
                    continue
                any_content = True
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError:
                    yield Skipped(path=rel, reason=f"invalid UTF-8 at line {line}", line=line)
                    continue
                try:
                    record = json.loads(text)
                except json.JSONDecodeError as e:
                    yield Skipped(
                        path=rel,
                        reason=f"invalid JSON at line {line}: {e.msg} (column {e.colno})",
                        line=line,
                    )
                    continue
                except RecursionError:
                    yield Skipped(
                        path=rel, reason=f"JSON nested too deeply at line {line}", line=line
                    )
                    continue
                except ValueError:  # an integer of more than 4300 digits (Python's limit)
                    yield Skipped(path=rel, reason=f"{_LONG_NUMBER} at line {line}", line=line)
                    continue
                yield _record_article(record, rel, f"{rel}#{line}", line)
    except (EOFError, zlib.error, gzip.BadGzipFile) as e:
        yield Skipped(
            path=rel,
            reason=f"truncated or corrupt gzip file after line {line}: {_gzip_reason(e)}",
            line=line + 1,
        )
        return
    if not any_content:
        yield Skipped(path=rel, reason="empty file")


_LONG_NUMBER = "invalid JSON: a number too long to read"


def _text_chunks(f) -> Iterator[str]:
    """UTF-8 text of a binary file in chunks (a leading BOM removed)."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    while True:
        data = f.read1(_CHUNK)  # read1: a truncated gzip still gives what precedes the damage
        if not data:
            tail = decoder.decode(b"", final=True)
            if tail:
                yield tail
            return
        text = decoder.decode(data)
        if text:
            yield text


class _JsonStream:
    """Top-level JSON values of a document, parsed incrementally from text chunks.

    Handles one value, an array of values (each element is a record), and a sequence of
    concatenated values (JSON Lines saved as ``.json``).
    """

    _WS = re.compile(r"[ \t\r\n]*")

    def __init__(self, chunks: Iterator[str]):
        self.chunks = chunks
        self.buf = ""
        self.pos = 0
        self.line_base = 1  # line number of buf[0]
        self.eof = False
        self.decoder = json.JSONDecoder()

    def line(self) -> int:
        return self.line_base + self.buf.count("\n", 0, self.pos)

    def _more(self, at_least: int = 1) -> bool:
        """Append at least ``at_least`` characters (fewer at EOF); False if none were added."""
        if self.eof:
            return False
        parts: list[str] = []
        added = 0
        while added < at_least:
            try:
                chunk = next(self.chunks)
            except StopIteration:
                self.eof = True
                break
            parts.append(chunk)
            added += len(chunk)
        if self.pos > _CHUNK:  # drop what has been parsed
            self.line_base += self.buf.count("\n", 0, self.pos)
            self.buf = self.buf[self.pos :]
            self.pos = 0
        if parts:
            self.buf += "".join(parts)
        return added > 0

    def _grow(self) -> bool:
        """Double the unparsed part of the buffer (so re-parsing stays cheap); False at EOF."""
        return self._more(len(self.buf) - self.pos + _CHUNK)

    def peek(self) -> str:
        """The next non-whitespace character ('' at the end), positioned on it."""
        while True:
            self.pos = self._WS.match(self.buf, self.pos).end()
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self._more():
                return ""

    def value(self):
        """Parse the value at the current position (after peek())."""
        while True:
            try:
                value, end = self.decoder.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError:
                if len(self.buf) - self.pos <= MAX_RECORD_BYTES and self._grow():
                    continue
                raise
            if end == len(self.buf) and not self.eof and self._more():
                continue  # a number or literal might go on in the next chunk
            self.pos = end
            return value

    def error(self, e: json.JSONDecodeError) -> tuple[str, int]:
        line = self.line_base + self.buf.count("\n", 0, e.pos)
        column = e.pos - (self.buf.rfind("\n", 0, e.pos) + 1) + 1
        return f"invalid JSON at line {line}: {e.msg} (column {column})", line

    def skip_line(self) -> None:
        while True:
            nl = self.buf.find("\n", self.pos)
            if nl >= 0:
                self.pos = nl + 1
                return
            self.pos = len(self.buf)
            if not self._more():
                return


def _json_records(stream: _JsonStream, rel: str) -> Iterator[Article | Skipped]:
    first = stream.peek()
    if not first:
        yield Skipped(path=rel, reason="empty file")
        return
    if first == "[":
        stream.pos += 1
        index = 0
        while True:
            c = stream.peek()
            if c == "]" and index == 0:
                stream.pos += 1
                yield Skipped(path=rel, reason="no records (empty JSON array)")
                break
            line = stream.line()
            try:
                record = stream.value()
            except json.JSONDecodeError as e:
                reason, line = stream.error(e)
                yield Skipped(path=rel, reason=reason, line=line)
                return
            yield _record_article(record, rel, f"{rel}#{index}", line)
            index += 1
            c = stream.peek()
            if c == ",":
                stream.pos += 1
                continue
            if c == "]":
                stream.pos += 1
                break
            line = stream.line()
            what = f"unexpected {c!r}" if c else "file ends inside the array"
            yield Skipped(path=rel, reason=f"invalid JSON at line {line}: {what}", line=line)
            return
        if stream.peek():
            line = stream.line()
            yield Skipped(
                path=rel,
                reason=f"invalid JSON at line {line}: extra data after the array",
                line=line,
            )
        return
    index = 0
    while stream.peek():
        line = stream.line()
        try:
            record = stream.value()
        except json.JSONDecodeError as e:
            reason, line = stream.error(e)
            yield Skipped(path=rel, reason=reason, line=line)
            stream.skip_line()
            index += 1
            continue
        if index == 0 and not stream.peek() and isinstance(record, dict):
            wrapped = _wrapped_records(record)
            if wrapped is not None:
                for i, item in enumerate(wrapped):
                    yield _record_article(item, rel, f"{rel}#{i}", None)
                return
        yield _record_article(record, rel, f"{rel}#{index}", line)
        index += 1


def _wrapped_records(record: dict) -> list | None:
    """``{"articles": [ {...}, ... ]}``: the list, when the object has no text of its own."""
    if any(_text_value(record.get(k)) for k in ("title", "headline", *_BODY_KEYS)):
        return None
    lists = [v for v in record.values() if isinstance(v, list) and v]
    if len(lists) == 1 and all(isinstance(item, dict) for item in lists[0]):
        return lists[0]
    return None


def _read_json_document(sf: SourceFile) -> Iterator[Article | Skipped]:
    stream: _JsonStream | None = None
    try:
        with _open_binary(sf) as f:
            stream = _JsonStream(_text_chunks(f))
            yield from _json_records(stream, sf.rel)
    except UnicodeDecodeError:
        yield Skipped(path=sf.rel, reason="cannot decode: JSON text is not UTF-8")
    except RecursionError:
        yield Skipped(path=sf.rel, reason="JSON nested too deeply")
    except ValueError:  # an integer of more than 4300 digits (Python's limit)
        line = stream.line() if stream is not None else None
        yield Skipped(path=sf.rel, reason=f"{_LONG_NUMBER} at line {line}", line=line)
    except (EOFError, zlib.error, gzip.BadGzipFile) as e:
        line = stream.line_base + stream.buf.count("\n") if stream is not None else None
        yield Skipped(
            path=sf.rel,
            reason=f"truncated or corrupt gzip file after line {line}: {_gzip_reason(e)}"
            if line
            else f"truncated or corrupt gzip file: {_gzip_reason(e)}",
            line=line,
        )


# ----------------------------------------------------------------------------------------
# one file
# ----------------------------------------------------------------------------------------


def read_file(sf: SourceFile) -> Iterator[Article | Skipped]:
    """Read one discovered file: Articles, and Skipped for what cannot be used.

    Text, Markdown and HTML files give exactly one Article or one Skipped; JSON files give
    one Article (or Skipped) per record.  Never raises for bad content or unreadable files.
    """
    suffix = _suffix_of(sf.path.name)
    try:
        if suffix is None:
            yield Skipped(path=sf.rel, reason="unsupported file type")
        elif suffix in _JSON_LINES_SUFFIXES or suffix in (".json", ".json.gz"):
            problem = _sniff(sf)
            if problem is not None:
                yield problem
            elif suffix in _JSON_LINES_SUFFIXES:
                yield from _read_json_lines(sf)
            else:
                yield from _read_json_document(sf)
        else:
            yield _read_single(sf, suffix)
    except OSError as e:
        yield Skipped(path=sf.rel, reason=f"cannot read file: {_os_reason(e)}")


def _read_single(sf: SourceFile, suffix: str) -> Article | Skipped:
    size = os.stat(sf.path).st_size
    if size > MAX_TEXT_BYTES:
        return Skipped(
            path=sf.rel,
            reason=f"too large ({size / 2**20:.1f} MB > {MAX_TEXT_BYTES / 2**20:.0f} MB)",
        )
    with open(sf.path, "rb") as f:
        data = f.read(MAX_TEXT_BYTES + 1)
    if not data.strip():
        return Skipped(path=sf.rel, reason="empty file")
    if _looks_binary(data):
        return Skipped(path=sf.rel, reason="binary file")
    try:
        if suffix in _HTML_SUFFIXES:
            article = read_html_article(data, sf.rel)
        else:
            text = decode_bytes(data)
            if not text.strip():
                return Skipped(path=sf.rel, reason="empty file")
            article = read_text_article(text, sf.rel, markdown=suffix in _MARKDOWN_SUFFIXES)
    except UnreadableFileError as e:
        return Skipped(path=sf.rel, reason=e.message)
    if not article.title and not article.body:
        return Skipped(path=sf.rel, reason="no text found")
    return article
