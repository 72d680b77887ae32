"""Tests for indexer.read: discovery, text/Markdown/HTML/JSON reading, encodings."""

from __future__ import annotations

import gzip
import json
import os
import random
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer import read as readers
from indexer.article import Article, Skipped
from indexer.errors import UnreadableFileError
from indexer.read import (
    SUPPORTED_SUFFIXES,
    SourceFile,
    decode_bytes,
    discover,
    discovery,
    jsonl,
    read_file,
    read_html_article,
    read_text_article,
)

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "readers"
# The research corpus lies beside the repository (../shared), read-only, in CI as here.
SIGHAN = ROOT.parent / "shared" / "data" / "eval" / "sighan2005" / "testing"


def source(path: Path, rel: str | None = None) -> SourceFile:
    st_ = path.stat()
    return SourceFile(
        path=path.resolve(), rel=rel or path.name, size=st_.st_size, mtime_ns=st_.st_mtime_ns
    )


def read_all(path: Path, rel: str | None = None) -> list[Article | Skipped]:
    return list(read_file(source(path, rel)))


def read_one(path: Path, rel: str | None = None) -> Article | Skipped:
    items = read_all(path, rel)
    assert len(items) == 1, items
    return items[0]


# --------------------------------------------------------------------------------------
# the seed articles in corpus/
# --------------------------------------------------------------------------------------

SEEDS = [
    pytest.param(
        "000_82cfbaba1684023e.txt",
        "东盟防长会议将从明日起至11月2日举行。",
        date(2025, 10, 29),
        "ASEAN Defense Ministers' Meeting to Kick Off Tomorrow, US, Russia, Australia, China "
        "and Others Confirm Attendance\n\nThe 19th ASEAN Defense Ministers' Meeting (ADMM)",
        "platforms to ensure that this region remains peaceful, stable, and prosperous.”"
        "\n\nAuthor\n\n联合日报newsroom\n\n相关报道",
        id="000-zh-headline-published-at",
    ),
    pytest.param(
        "001_abedd1a55df85414.txt",
        "Malaysia has successfully hosted consecutive senior defence officials’ meetings in "
        "Johor, reinforcing ASEAN’s collective approach to regional security.",
        date(2025, 9, 26),
        "DESARU: Malaysia has successfully hosted consecutive senior defence officials’ meetings",
        "sustainability principles for regional peace and prosperity. – Bernama",
        id="001-date-marker-lede",
    ),
    pytest.param(
        "002_4c2408c9340d78ce.txt",
        "Kuala Lumpur Joint Declaration of the ADMM on ASEAN Unity for Security and Prosperity",
        date(2025, 10, 31),
        "The Nineteenth ASEAN Defence Ministers’ Meeting (hereinafter referred to as “ADMM”), "
        "was convened on 31 October 2025, in Kuala Lumpur, Malaysia;\nRECOGNISING the growing",
        "in a single original copy in the English language.\nMore Resources",
        id="002-breadcrumbs-date-line",
    ),
    pytest.param(
        "003_7f1da60b50da872b.txt",
        "Mesyuarat Pegawai-Pegawai Kanan Pertahanan ASEAN (ADSOM) 2025 telah berjaya ditutup "
        "dengan pencapaian tiga hasil utama yang memperkukuh prinsip pemusatan ASEAN.",
        date(2025, 9, 27),
        "KUALA LUMPUR: Mesyuarat Pegawai-Pegawai Kanan Pertahanan ASEAN (ADSOM) 2025",
        "terus menjadi panduan untuk keamanan serantau. – Bernama",
        id="003-malay-date-marker-lede",
    ),
    pytest.param(
        "004_1a315c579fb00479.txt",
        "SESI PERMUKIMAN MENTERI-MENTERI PERTAHANAN ASEAN DI LUANG PRABANG, LAO PDR",
        date(2024, 3, 6),
        "KEMENTERIAN PERTAHANAN MALAYSIA\n\nSIARAN MEDIA\n\nMOD.100/2/1/2 JLD 6 (11) 02/03\n\n"
        "1. YB Dato' Seri Mohamed Khaled bin Nordin, Menteri Pertahanan Malaysia",
        "-TAMAT-\n\n“MALAYSIA MADANI”\n\n“BERKHIDMAT UNTUK NEGARA”\n\n"
        "“PERTAHANAN NEGARA TANGGUNGJAWAB BERSAMA”\n\nKementerian Pertahanan Malaysia",
        id="004-malay-media-release",
    ),
]

# lines each seed may lose from its body: markers, breadcrumbs, the title and its duplicate
REMOVED = {
    "000_82cfbaba1684023e.txt": {"Published at Oct 29, 2025 12:06 pm"},
    "002_4c2408c9340d78ce.txt": {
        "- Home",
        "- News and events",
        "- Latest Releases",
        "- Kuala Lumpur Joint Declaration of the ADMM on ASEAN Unity for Security and Prosperity",
        "31 October 2025",
    },
    "004_1a315c579fb00479.txt": {"6 Mac 2024"},
}


@pytest.mark.parametrize(("name", "title", "day", "starts", "ends"), SEEDS)
def test_seed_articles(name, title, day, starts, ends):
    article = read_one(CORPUS / name)
    assert isinstance(article, Article)
    assert article.id == name
    assert article.path == name
    assert article.title == title
    assert article.date == day
    assert article.body.startswith(starts)
    assert article.body.endswith(ends)
    assert article.body == article.body.strip()
    assert "\n\n\n" not in article.body
    assert not article.body.startswith("date ")
    # nothing else is lost
    body_lines = set(article.body.split("\n"))
    removed = REMOVED.get(name, set())
    for line in (CORPUS / name).read_text(encoding="utf-8").split("\n"):
        line = line.strip()
        if not line or line in removed or line == title:
            continue
        if line.startswith("date 20"):
            line = line.split(" ", 2)[2]
        assert line in body_lines, line


def test_seed_000_drops_duplicate_headline_only():
    article = read_one(CORPUS / "000_82cfbaba1684023e.txt")
    assert "东盟防长会议将从明日起至11月2日举行。" not in article.body
    assert "Published at" not in article.body


def test_seed_004_reference_number_is_not_a_date():
    article = read_one(CORPUS / "004_1a315c579fb00479.txt")
    assert "MOD.100/2/1/2 JLD 6 (11) 02/03" in article.body
    assert "4 hingga 6 Mac 2024" in article.body  # an in-text date is never removed


def test_discover_corpus():
    found = list(discover([CORPUS]))
    assert [f.rel for f in found] == sorted(p.name for p in CORPUS.glob("*.txt"))
    assert all(isinstance(f, SourceFile) and f.path.is_absolute() for f in found)


# --------------------------------------------------------------------------------------
# plain text and Markdown
# --------------------------------------------------------------------------------------


def test_text_title_and_paragraphs():
    text = "\ufeffHeadline here\r\n\r\nFirst paragraph line one.\r\nline two."
    text += "\r\n\r\n\r\n\r\nSecond.\r\n"
    article = read_text_article(text, "a/b.txt")
    assert article.id == "a/b.txt"
    assert article.path == "a/b.txt"
    assert article.title == "Headline here"
    assert article.body == "First paragraph line one.\nline two.\n\nSecond."
    assert article.date is None


def test_text_breadcrumbs_need_a_home_or_a_repeated_title():
    crumbs = "- Utama\n- Berita\nTajuk berita\n\nIsi berita."
    article = read_text_article(crumbs, "x.txt")
    assert (article.title, article.body) == ("Tajuk berita", "Isi berita.")
    trail = "Home > News > World\nHeadline\n\nBody."
    assert read_text_article(trail, "x.txt").title == "Headline"
    # a list at the top of an article is content, not navigation
    listing = "- first point\n- second point\n\nMore text."
    article = read_text_article(listing, "x.txt")
    assert article.title == "- first point"
    assert article.body == "- second point\n\nMore text."


def test_text_date_line_before_title():
    article = read_text_article("29 October 2025\nThe headline\n\nBody text.", "x.txt")
    assert (article.title, article.date, article.body) == (
        "The headline",
        date(2025, 10, 29),
        "Body text.",
    )


def test_text_long_first_sentence_is_cut():
    words = " ".join(f"word{i}" for i in range(80))
    article = read_text_article(words + ".\n\nNext.", "x.txt")
    assert article.title.endswith("…")
    assert len(article.title) <= 121
    assert article.body.startswith(words)


def test_text_lede_title_skips_abbreviations():
    lede = (
        "PUTRAJAYA: Dr. Ahmad and Mr. Lee of Syarikat ABC Sdn. Bhd. met the minister today to "
        "discuss the new highway toll rates for 2026. They agreed to meet again next month."
    )
    article = read_text_article(lede, "x.txt")
    assert article.title == (
        "Dr. Ahmad and Mr. Lee of Syarikat ABC Sdn. Bhd. met the minister today to discuss the "
        "new highway toll rates for 2026."
    )
    assert article.body == lede


def test_text_chinese_title_keeps_its_spaces():
    text = "加强合作 推动区域发展 共建和平稳定\n\n正文。"
    assert read_text_article(text, "x.txt").title == "加强合作 推动区域发展 共建和平稳定"


@pytest.mark.parametrize("text", ["", "   \n\n\t", "\ufeff", "\x00\x01"])
def test_text_empty(text):
    article = read_text_article(text, "x.txt")
    assert (article.title, article.body) == ("", "")


def test_markdown_fixture():
    text = (FIXTURES / "press_release.md").read_text(encoding="utf-8")
    article = read_text_article(text, "press_release.md", markdown=True)
    assert article.title == "Malaysia hosts ASEAN defence retreat"
    assert article.date == date(2024, 3, 6)
    assert article.source == "Ministry of Defence"
    assert article.url == "https://example.gov.my/releases/2024/retreat"
    body = article.body
    assert body.startswith(
        "The Minister of Defence attended the ASEAN Defence Ministers' Retreat in"
    )
    assert "Luang Prabang, Lao PDR." in body
    assert "Key outcomes" in body
    assert "A joint statement on the ASEAN Political-Security Community" in body
    assert "border_security and capacity building" in body
    assert "Security and stability are prerequisites" in body
    assert "code_block_kept *as is*" in body  # code kept as text
    assert body.endswith("Read the full statement.")
    for junk in ("**", "](", "![", "#", "---", "Group photo", "https://", "> ", "`"):
        assert junk not in body, junk


def test_markdown_heading_title_without_front_matter():
    text = "Intro line before\n\n# The *real* title\n\nSome [link](http://x.y) text."
    text += "\n\nTitle 2\n=======\n"
    article = read_text_article(text, "x.md", markdown=True)
    assert article.title == "The real title"
    assert article.body == "Intro line before\n\nSome link text.\n\nTitle 2"


def test_markdown_without_heading_uses_first_line():
    article = read_text_article("Plain *first* line\n\nbody", "x.md", markdown=True)
    assert (article.title, article.body) == ("Plain first line", "body")


def test_read_file_markdown_suffix(tmp_path):
    path = tmp_path / "note.markdown"
    path.write_text("# Tajuk\n\nIsi **penting**.", encoding="utf-8")
    article = read_one(path)
    assert (article.title, article.body) == ("Tajuk", "Isi penting.")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400), st.booleans())
def test_read_text_article_never_raises(text, markdown):
    article = read_text_article(text, "p.txt", markdown=markdown)
    assert isinstance(article.title, str)
    assert isinstance(article.body, str)
    assert article.id == "p.txt"


def test_byte_order_marks_are_dropped_wherever_they_stand():
    article = read_text_article("\ufeffTitle\n\n\ufeff\n\nBody\ufeff text\ufffe.", "p.txt")
    assert (article.title, article.body) == ("Title", "Body text.")


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.text(
            # the reader drops a byte-order mark (U+FEFF) and U+FFFE wherever they stand:
            # invisible, not text (hypothesis once made a line of U+FEFF alone)
            alphabet=st.characters(
                blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="\ufeff\ufffe"
            ),
            max_size=40,
        )
        .map(str.strip)
        .filter(lambda s: s and not s.startswith(("-", "•", "›", "»", "*"))),
        min_size=2,
        max_size=8,
    )
)
def test_plain_lines_are_never_lost(lines):
    from indexer.read.dates import date_marker

    article = read_text_article("\n\n".join(lines), "p.txt")
    kept = set(article.body.split("\n")) | {article.title}
    for line in lines:
        if date_marker(line) is None and not line.lower().startswith(("date", "tarikh", "日期")):
            assert " ".join(line.split()) in kept or line in kept


# --------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------


def test_html_news_page():
    article = read_one(FIXTURES / "news_page.html", "site/news_page.html")
    assert isinstance(article, Article)
    assert article.id == "site/news_page.html"
    assert article.title == "Malaysia to host 19th ASEAN Defence Ministers' Meeting"
    assert article.date == date(2025, 10, 29)  # article:published_time wins over JSON-LD
    assert article.source == "The Example Times"
    assert article.url == "https://news.example.com/nation/2025/10/29/admm-kuala-lumpur"
    paragraphs = article.body.split("\n\n")
    assert (
        "KUALA LUMPUR: The 19th ASEAN Defence Ministers' Meeting and the 12th ADMM-Plus are "
        "expected to advance 20 joint initiatives, a new record for the forum."
    ) in paragraphs
    assert (
        "Ministers will focus on cybersecurity, maritime security and the use of artificial "
        "intelligence in defence."
    ) in paragraphs
    assert "Dato' Mohamad Amir Haron said the initiatives include 10 concept papers," in paragraphs
    assert "guidelines and protocols." in paragraphs  # <br> breaks the paragraph
    for kept in ("Cybersecurity and AI", "“We do not favour any major power,” he said."):
        assert kept in paragraphs
    assert "Four joint maritime exercises" in paragraphs
    assert paragraphs[0] != article.title  # the <h1> is not repeated
    for junk in (
        "Home",
        "Nation",
        "Sport",
        "dataLayer",
        "font-family",
        "loadInlineAd",
        "enable JavaScript",
        "youtube",
        "Video player",
        "Share on",
        "Copy link",
        "Related",
        "Opposition questions",
        "Great article",
        "Comments",
        "Most read",
        "Ringgit",
        "Subscribe",
        "All rights reserved",
        "Privacy",
        "Advertisement",
        "Sidebar",
        "svgsymbol",
        "template content",
        "datePublished",
    ):
        assert junk not in article.body, junk


def test_html_fallbacks_h1_time_canonical():
    html = """<html><head><title>Page title | Site</title>
    <link rel="canonical" href="https://example.com/a"></head>
    <body><div class="content"><h1>The  H1
    title</h1><p>Posted <time datetime="2024-03-06">6 Mac 2024</time></p>
    <p>Body paragraph.</p></div></body></html>"""
    article = read_html_article(html, "a.html")
    assert article.title == "The H1 title"
    assert article.date == date(2024, 3, 6)
    assert article.url == "https://example.com/a"
    assert article.source is None
    assert article.body.endswith("Body paragraph.")


def test_html_title_from_title_tag_and_date_from_text():
    html = """<html><head><title>Tajuk berita - Berita Harian</title>
    <meta property="og:site_name" content="Berita Harian"></head>
    <body><p>Tarikh: 6 Mac 2024</p><p>Isi berita.</p></body></html>"""
    article = read_html_article(html, "b.html")
    assert article.title == "Tajuk berita"
    assert article.date == date(2024, 3, 6)
    assert article.body == "Isi berita."  # the date marker paragraph is removed


def test_html_meta_date_variants():
    for meta in (
        '<meta name="pubdate" content="2023-08-01">',
        '<meta name="DC.date.issued" content="2023-08-01T10:00:00Z">',
        '<meta itemprop="datePublished" content="2023-08-01">',
        '<meta property="og:published_time" content="Tue, 01 Aug 2023 10:00:00 +0800">',
    ):
        html = f"<html><head>{meta}</head><body><h1>T</h1><p>x</p></body></html>"
        assert read_html_article(html, "m.html").date == date(2023, 8, 1), meta
    bad = '<html><head><meta name="date" content="not a date"></head><body><p>x</p></body></html>'
    assert read_html_article(bad, "m.html").date is None


def test_html_chinese_with_meta_charset_gb2312():
    text = "马来西亚国防部长今天出席东盟防长会议。"
    html = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
        f"<title>{text}</title></head><body><article><p>{text}</p>"
        "<p>会议在吉隆坡\n举行。</p></article></body></html>"
    ).encode("gb18030")
    article = read_html_article(html, "zh.html")
    assert article.title == text
    assert article.body == "会议在吉隆坡举行。"  # a source line break inside Chinese vanishes


def test_html_big5_meta_charset(tmp_path):
    text = "香港特區政府今日公布新一份財政預算案。"
    data = (
        f'<html><head><meta charset="big5"></head><body><h1>{text}</h1><p>內容。</p></body></html>'
    )
    path = tmp_path / "big5.htm"
    path.write_bytes(data.encode("big5"))
    article = read_one(path)
    assert (article.title, article.body) == (text, "內容。")


def test_html_without_charset_is_sniffed(tmp_path):
    text = "立法會議員就房屋政策進行辯論。"
    path = tmp_path / "nocharset.html"
    path.write_bytes(f"<html><body><h1>{text}</h1><p>內容。</p></body></html>".encode("big5"))
    assert read_one(path).title == text


def test_html_wrong_declared_charset_falls_back(tmp_path):
    text = "首相表示政府将继续推动经济改革。"
    html = f'<html><head><meta charset="utf-8"></head><body><p>{text}</p></body></html>'
    path = tmp_path / "wrong.html"
    path.write_bytes(html.encode("gb18030"))
    assert read_one(path).title == text


def test_html_xhtml_and_locator_like_markup_do_not_warn():
    xhtml = (
        '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0'
        ' Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\n'
        '<html xmlns="http://www.w3.org/1999/xhtml"><head><title>X</title></head>'
        "<body><p>Text.</p></body></html>"
    )
    assert read_html_article(xhtml, "x.html").body == "Text."
    assert read_html_article("https://example.com/page.html", "u.html").body
    assert read_html_article("index.html", "u.html").title == "index.html"


def test_html_picks_the_longest_article_and_guards_content():
    html = (
        """<html><body>
    <article class="teaser"><p>Short teaser.</p></article>
    <article><div class="post-content has-comments-menu">
    <p>"""
        + "Long real paragraph. " * 40
        + """</p><p>Second real paragraph.</p>
    </div></article></body></html>"""
    )
    article = read_html_article(html, "x.html")
    assert "Short teaser" not in article.body
    assert article.body.endswith("Second real paragraph.")


def test_html_empty_is_skipped(tmp_path):
    path = tmp_path / "empty.html"
    path.write_text("<html><head><script>x()</script></head><body><nav>Menu</nav></body></html>")
    skipped = read_one(path)
    assert isinstance(skipped, Skipped) and skipped.reason == "no text found"


def test_html_deeply_nested_does_not_recurse():
    html = "<div>" * 3000 + "deep text" + "</div>" * 3000
    assert read_html_article(html, "deep.html").title == "deep text"


# --------------------------------------------------------------------------------------
# encodings
# --------------------------------------------------------------------------------------

SIMPLIFIED = [
    "马来西亚国防部长今天在吉隆坡出席东盟防长会议。",
    "首相表示政府将继续推动经济改革。",
    "国家银行宣布维持隔夜政策利率不变。",
    "今年第三季度国内生产总值增长百分之五点二。",
    "槟城州政府计划明年兴建新的轻轨系统。",
    "警方呼吁公众不要在社交媒体散播假消息。",
    "教育部宣布所有学校下周恢复面对面教学。",
    "雪兰莪州多个地区昨晚发生严重水灾，数百人被迫撤离。",
    "卫生部长说，新冠病毒疫苗接种率已超过百分之八十。",
    "马币兑美元汇率今早走强。",
    "柔佛州的旅游业在疫情后逐渐复苏。",
    "这项计划预计将为当地创造两千个就业机会。",
    "反对党领袖批评政府的财政预算案。",
    "气象局发出大雨警告。",
    "东盟各国同意加强海上安全合作。",
    "中国和马来西亚签署了多项合作备忘录。",
    "全国中学生华文作文比赛成绩揭晓。",
    "油价上涨导致物价普遍上升。",
    "他说，这是历史上规模最大的一次会议。",
    "数码经济将成为国家发展的新引擎。",
    "华人社团呼吁政府重视母语教育。",
    "吉打州农民今年稻米收成良好。",
    "国会下议院今天通过了新的法案。",
    "沙巴和砂拉越的代表出席了会议。",
    "消费者协会提醒民众注意网络诈骗。",
    "运动员在东南亚运动会上夺得金牌。",
    "首相今天访问槟城。",
    "股市全面下跌。",
    "国家队赢得冠军。",
]

TRADITIONAL = [
    "香港特區政府今日公布新一份財政預算案。",
    "立法會議員就房屋政策進行辯論。",
    "天文台預測明日天氣晴朗，氣溫介乎二十五至三十一度。",
    "警方昨晚在旺角拘捕三名男子。",
    "港鐵表示，東鐵線服務已經恢復正常。",
    "恆生指數今早高開，收市時上升二百點。",
    "衛生署呼籲市民盡快接種疫苗。",
    "教育局宣布所有中小學明天停課。",
    "台灣中央氣象局發布颱風警報。",
    "行政院長表示將檢討能源政策。",
    "這是近十年來最嚴重的一次水災。",
    "醫院管理局說急症室輪候時間過長。",
    "消費者委員會提醒市民小心網上購物陷阱。",
    "他說：「我們會繼續努力。」",
    "運輸署將於下月實施新的交通安排。",
    "市民對政府的表現感到不滿。",
    "新界東北發展計劃引起爭議。",
    "國際貨幣基金組織調低全球經濟增長預測。",
    "澳門博彩收入連續三個月上升。",
    "選舉委員會公布投票結果。",
    "大學生在畢業典禮上發言。",
    "銀行宣布調高最優惠利率。",
    "漁農自然護理署發現一宗禽流感個案。",
    "議員要求當局解釋事件。",
    "機場客運量回復到疫情前水平。",
    "股市全面下跌。",
    "國家隊贏得冠軍。",
]


@pytest.mark.parametrize("text", SIMPLIFIED)
@pytest.mark.parametrize("codec", ["gb18030", "gbk", "gb2312"])
def test_decode_simplified(text, codec):
    assert decode_bytes(text.encode(codec)) == text


@pytest.mark.parametrize("text", TRADITIONAL)
@pytest.mark.parametrize("codec", ["big5", "cp950"])
def test_decode_traditional(text, codec):
    assert decode_bytes(text.encode(codec)) == text


@pytest.mark.skipif(
    not SIGHAN.is_dir(),
    reason=f"SIGHAN 2005 test data not found at {SIGHAN} (../shared beside the repository)",
)
@pytest.mark.parametrize(
    ("name", "codec"), [("msr", "gb18030"), ("pku", "gbk"), ("cityu", "big5"), ("as", "big5")]
)
def test_decode_real_news_lines(name, codec):
    lines = [
        line.strip().lstrip("\ufeff")
        for line in (SIGHAN / f"{name}_test.utf8").read_text(encoding="utf-8").split("\n")
    ]
    lines = [line for line in lines if line and not line.isascii()]
    sample = random.Random(2005).sample(lines, 150)
    for text in sample + [line[:10] for line in sample if len(line) >= 10][:50]:
        try:
            data = text.encode(codec)
            data.decode("utf-8")
            continue  # valid UTF-8 by chance ("目录" in GBK): UTF-8 wins, by design
        except UnicodeEncodeError:
            continue  # not representable in this codec
        except UnicodeDecodeError:
            pass
        assert decode_bytes(data) == text


def test_decode_utf8_variants():
    assert decode_bytes(b"plain ascii") == "plain ascii"
    assert decode_bytes("\ufeffcafé 中文".encode()) == "café 中文"
    assert decode_bytes("中文".encode("utf-16")) == "中文"
    assert decode_bytes(b"\xfe\xff" + "中文".encode("utf-16-be")) == "中文"
    assert decode_bytes("中文".encode("utf-32")) == "中文"
    assert decode_bytes(b"") == ""


def test_decode_damaged_utf8_keeps_the_rest():
    text = "马来西亚国防部长今天在吉隆坡出席东盟防长会议。" * 3
    data = text.encode()
    damaged = data[:10] + b"\xff" + data[10:]
    decoded = decode_bytes(damaged)
    assert "\ufffd" in decoded
    assert decoded.endswith(text[10:])


def test_decode_gb18030_mostly_ascii():
    text = "Reporter: 张伟 (Kuala Lumpur)\n" + "English text about the meeting. " * 20
    assert decode_bytes(text.encode("gb18030")) == text


@pytest.mark.parametrize(
    "data",
    [
        "Malaysia’s “unity” is the theme, café owners said.\n".encode("cp1252") * 3,
        bytes(range(0x80, 0x100)) * 4,
        random.Random(7).randbytes(3000).replace(b"\x00", b"\x01"),
    ],
    ids=["cp1252", "high-bytes", "random"],
)
def test_decode_refuses_other_encodings(data):
    with pytest.raises(UnreadableFileError) as err:
        decode_bytes(data)
    assert err.value.message == "cannot decode: not UTF-8, UTF-16, GB18030 or Big5"


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=300))
def test_decode_bytes_returns_or_raises_unreadable(data):
    try:
        assert isinstance(decode_bytes(data), str)
    except UnreadableFileError as e:
        assert e.message.startswith("cannot decode")


ENCODED_FILES = [
    ("gb18030.txt", "gb18030", SIMPLIFIED),
    ("gbk.txt", "gbk", SIMPLIFIED),
    ("big5.txt", "big5", TRADITIONAL),
    ("utf8bom.txt", "utf-8-sig", SIMPLIFIED),
    ("utf16.txt", "utf-16", TRADITIONAL),
    ("utf16be.txt", "utf-16-be", SIMPLIFIED),
]


@pytest.mark.parametrize(("name", "codec", "sentences"), ENCODED_FILES)
def test_read_file_encodings(tmp_path, name, codec, sentences):
    text = sentences[0] + "\n\n" + "\n\n".join(sentences[1:12])
    data = text.encode(codec)
    if codec == "utf-16-be":
        data = b"\xfe\xff" + data
    path = tmp_path / name
    path.write_bytes(data)
    article = read_one(path)
    assert isinstance(article, Article), article
    assert article.title == sentences[0]
    assert article.body == "\n\n".join(sentences[1:12])


def test_read_file_random_bytes_skipped(tmp_path):
    path = tmp_path / "noise.txt"
    path.write_bytes(random.Random(1).randbytes(5000))
    skipped = read_one(path)
    assert isinstance(skipped, Skipped)
    assert skipped.reason == "binary file"
    path.write_bytes(random.Random(1).randbytes(5000).replace(b"\x00", b"\x01"))
    skipped = read_one(path)
    assert skipped.reason == "cannot decode: not UTF-8, UTF-16, GB18030 or Big5"


@pytest.mark.parametrize("content", [b"", b"   \n\r\n\t  ", b"\xef\xbb\xbf\n"])
def test_read_file_empty(tmp_path, content):
    path = tmp_path / "empty.txt"
    path.write_bytes(content)
    assert read_one(path) == Skipped(path="empty.txt", reason="empty file")


def test_read_file_too_large(tmp_path, monkeypatch):
    path = tmp_path / "big.html"
    path.write_bytes(b"<p>" + b"x" * 3000 + b"</p>")
    monkeypatch.setattr(readers, "MAX_TEXT_BYTES", 2 * 1024 * 1024)
    assert isinstance(read_one(path), Article)
    monkeypatch.setattr(readers, "MAX_TEXT_BYTES", 1000)
    skipped = read_one(path)
    assert isinstance(skipped, Skipped)
    assert skipped.reason.startswith("too large (") and skipped.reason.endswith(" MB > 0 MB)")


def test_too_large_message_default_limit(tmp_path, monkeypatch):
    path = tmp_path / "huge.txt"
    with open(path, "wb") as f:  # sparse file: nothing is written or read
        f.truncate(60 * 1024 * 1024)
    assert read_one(path).reason == "too large (60.0 MB > 50 MB)"


def test_read_file_missing_file(tmp_path):
    sf = SourceFile(path=tmp_path / "gone.txt", rel="gone.txt", size=1, mtime_ns=0)
    (skipped,) = list(read_file(sf))
    assert skipped.path == "gone.txt"
    assert skipped.reason.startswith("cannot read file:")


# --------------------------------------------------------------------------------------
# JSON and JSON Lines
# --------------------------------------------------------------------------------------

RECORDS = [
    {
        "id": "en-1",
        "lang": "en",
        "title": "Ringgit strengthens",
        "date": "2025-10-29",
        "source": "Example News",
        "url": "https://example.com/1",
        "body": "The ringgit rose.\n\nAnalysts expect more gains.",
    },
    {
        "id": 42,
        "lang": "ms",
        "title": "Harga minyak",
        "date": "2025-10-29T08:00:00+08:00",
        "content": "Harga naik.",
    },
    {"lang": "zh", "title": "马币走强", "date": "not a date", "text": "马币今早走强。"},
]


def write_jsonl(path: Path, lines: list[str], gz: bool = False) -> None:
    data = ("\n".join(lines) + "\n").encode("utf-8")
    path.write_bytes(gzip.compress(data) if gz else data)


def check_records(articles, rel: str, third_id: str):
    a, b, c = articles
    assert (a.id, a.title, a.date, a.source, a.url, a.lang_hint, a.path) == (
        "en-1",
        "Ringgit strengthens",
        date(2025, 10, 29),
        "Example News",
        "https://example.com/1",
        "en",
        rel,
    )
    assert a.body == "The ringgit rose.\n\nAnalysts expect more gains."
    assert (b.id, b.body, b.date, b.lang_hint) == ("42", "Harga naik.", date(2025, 10, 29), "ms")
    assert (c.id, c.body, c.date, c.lang_hint, c.source) == (
        third_id,
        "马币今早走强。",
        None,
        "zh",
        None,
    )


def test_json_single_object(tmp_path):
    path = tmp_path / "one.json"
    path.write_text(json.dumps(RECORDS[2], ensure_ascii=False), encoding="utf-8")
    (article,) = read_all(path)
    assert (article.id, article.title, article.body) == ("one.json#0", "马币走强", "马币今早走强。")


def test_json_list(tmp_path):
    path = tmp_path / "list.json"
    path.write_text(json.dumps(RECORDS, indent=2, ensure_ascii=False), encoding="utf-8")
    check_records(read_all(path), "list.json", "list.json#2")


def test_json_wrapped_list_and_empty_array(tmp_path):
    path = tmp_path / "wrapped.json"
    path.write_text(json.dumps({"status": "ok", "articles": RECORDS}), encoding="utf-8")
    check_records(read_all(path), "wrapped.json", "wrapped.json#2")
    path.write_text("[ ]")
    assert read_all(path) == [Skipped(path="wrapped.json", reason="no records (empty JSON array)")]


def test_json_list_with_bad_element(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('[\n{"title": "a", "body": "b"},\n{"title": }\n]', encoding="utf-8")
    good, bad = read_all(path)
    assert good.title == "a"
    assert isinstance(bad, Skipped) and bad.line == 3
    assert bad.reason.startswith("invalid JSON at line 3: Expecting value")


def test_json_lines_with_bad_line(tmp_path):
    lines = [json.dumps(r, ensure_ascii=False) for r in RECORDS]
    lines.insert(1, '{"title": "broken", "body": ')
    lines.insert(2, "")
    lines.insert(3, "[1, 2]")
    lines.insert(4, '{"title": "", "body": "   "}')
    path = tmp_path / "news.jsonl"
    write_jsonl(path, lines)
    items = read_all(path)
    articles = [i for i in items if isinstance(i, Article)]
    skipped = [i for i in items if isinstance(i, Skipped)]
    check_records(articles, "news.jsonl", "news.jsonl#7")
    assert [(s.line, s.path) for s in skipped] == [
        (2, "news.jsonl"),
        (4, "news.jsonl"),
        (5, "news.jsonl"),
    ]
    assert skipped[0].reason.startswith("invalid JSON at line 2: ")
    assert skipped[1].reason == "record at line 4 is not a JSON object (got an array)"
    assert skipped[2].reason == "record has no text"
    assert items.index(skipped[0]) == 1  # reported in place, the rest is still read


def test_ndjson_gzip(tmp_path):
    path = tmp_path / "news.ndjson.gz"
    write_jsonl(path, [json.dumps(r, ensure_ascii=False) for r in RECORDS], gz=True)
    check_records(read_all(path), "news.ndjson.gz", "news.ndjson.gz#3")


def test_json_gzip_document(tmp_path):
    path = tmp_path / "list.json.gz"
    path.write_bytes(gzip.compress(json.dumps(RECORDS).encode()))
    check_records(read_all(path), "list.json.gz", "list.json.gz#2")


def test_truncated_gzip_jsonl(tmp_path):
    records = [{"id": i, "title": f"title {i}", "body": "x" * 300} for i in range(500)]
    data = gzip.compress("".join(json.dumps(r) + "\n" for r in records).encode())
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(data[: len(data) // 2])
    items = read_all(path)
    *articles, last = items
    assert articles, "records before the damage are read"
    assert all(isinstance(a, Article) for a in articles)
    assert [a.id for a in articles] == [str(i) for i in range(len(articles))]
    assert len(articles) < 500
    assert isinstance(last, Skipped)
    assert last.reason.startswith("truncated or corrupt gzip file after line ")
    assert last.line == len(articles) + 1


@pytest.mark.parametrize("name", ["small.jsonl.gz", "small.json.gz"])
def test_truncated_small_gzip(tmp_path, name):
    lines = b"".join(b'{"title": "t%d", "body": "b"}\n' % i for i in range(100))
    data = gzip.compress(lines)
    path = tmp_path / name
    path.write_bytes(data[:-15])  # the trailer and the end of the last records are missing
    *articles, last = read_all(path)
    assert [a.title for a in articles] == [f"t{i}" for i in range(len(articles))]
    assert 90 < len(articles) < 100
    assert isinstance(last, Skipped)
    assert last.reason.startswith("truncated or corrupt gzip file after line ")


def test_truncated_gzip_json_document(tmp_path):
    data = gzip.compress(
        json.dumps([{"title": f"t{i}", "body": "y" * 300} for i in range(300)]).encode()
    )
    path = tmp_path / "cut.json.gz"
    path.write_bytes(data[: len(data) // 2])
    *articles, last = read_all(path)
    assert articles and all(isinstance(a, Article) for a in articles)
    assert isinstance(last, Skipped) and last.reason.startswith("truncated or corrupt gzip file")


def test_not_gzip_and_binary_json(tmp_path):
    path = tmp_path / "fake.jsonl.gz"
    path.write_text('{"title": "x"}\n')
    assert read_all(path) == [Skipped(path="fake.jsonl.gz", reason="not a gzip file")]
    path = tmp_path / "bin.json"
    path.write_bytes(b"\x00\x01\x02" * 100)
    assert read_all(path) == [Skipped(path="bin.json", reason="binary file")]


def test_empty_json_files(tmp_path):
    for name in ("e.json", "e.jsonl", "e.json.gz"):
        path = tmp_path / name
        path.write_bytes(gzip.compress(b" \n \n") if name.endswith(".gz") else b" \n\n ")
        assert read_all(path) == [Skipped(path=name, reason="empty file")]


def test_json_concatenated_objects_in_json_file(tmp_path):
    path = tmp_path / "lines.json"
    path.write_text('{"title": "a", "body": "b"}\n{oops}\n{"title": "c", "body": "d"}\n')
    a, bad, c = read_all(path)
    assert (a.id, c.id) == ("lines.json#0", "lines.json#2")
    assert bad.line == 2 and bad.reason.startswith("invalid JSON at line 2")


def test_json_not_utf8(tmp_path):
    path = tmp_path / "gbk.json"
    path.write_bytes(json.dumps({"title": "马币"}, ensure_ascii=False).encode("gbk"))
    assert read_all(path) == [
        Skipped(path="gbk.json", reason="cannot decode: JSON text is not UTF-8")
    ]
    path = tmp_path / "gbk.jsonl"
    path.write_bytes(
        b'{"title": "ok"}\n' + json.dumps({"title": "马币"}, ensure_ascii=False).encode("gbk")
    )
    ok, bad = read_all(path)
    assert ok.title == "ok" and bad == Skipped(
        path="gbk.jsonl", reason="invalid UTF-8 at line 2", line=2
    )


def test_json_record_details(tmp_path):
    records = [
        {"title": "No id, body only title"},
        {"body": "Headline from the body\nsecond line"},
        {"id": None, "id_": 1, "title": "t", "body": ["para one", "para two"], "url": 5},
        {"id": True, "title": "bool id"},
        "just a string",
    ]
    path = tmp_path / "r.jsonl"
    write_jsonl(path, [json.dumps(r) for r in records])
    a, b, c, d, e = read_all(path)
    assert (a.id, a.title, a.body) == ("r.jsonl#1", "No id, body only title", "")
    assert (b.title, b.body) == ("Headline from the body", "Headline from the body\nsecond line")
    assert (c.id, c.body, c.url) == ("r.jsonl#3", "para one\n\npara two", None)
    assert d.id == "r.jsonl#4"
    assert e == Skipped(
        path="r.jsonl", reason="record at line 5 is not a JSON object (got a string)", line=5
    )


def test_jsonl_streams_line_by_line(tmp_path, monkeypatch):
    monkeypatch.setattr(jsonl, "MAX_RECORD_BYTES", 200)
    path = tmp_path / "long.jsonl"
    write_jsonl(path, [json.dumps({"title": "a", "body": "x" * 500}), json.dumps({"title": "b"})])
    too_long, b = read_all(path)
    assert too_long == Skipped(path="long.jsonl", reason="line 1 is too long", line=1)
    assert b.id == "long.jsonl#2"


def test_large_json_document_streams(tmp_path):
    records = [{"id": i, "title": f"t{i}", "body": "word " * 50} for i in range(2000)]
    path = tmp_path / "many.json"
    path.write_text(json.dumps(records, indent=1))
    items = read_all(path)
    assert len(items) == 2000 and items[-1].id == "1999"


# --------------------------------------------------------------------------------------
# discover()
# --------------------------------------------------------------------------------------


def make_tree(root: Path) -> None:
    files = {
        "b.txt": "b",
        "a.txt": "a",
        "sub/z.md": "z",
        "sub/deeper/x.html": "<p>x</p>",
        "sub/deeper/y.jsonl.gz": "plain text, not gzip",
        "a/c.json": "{}",
        "a.b/d.NDJSON": "",
        "notes.pdf": "",
        "image.png": "",
        "data.gz": "",
        ".hidden.txt": "h",
        ".git/config.txt": "g",
        "sub/.cache/e.txt": "e",
    }
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_discover_tree(tmp_path):
    make_tree(tmp_path)
    found = list(discover([tmp_path]))
    assert all(isinstance(f, SourceFile) for f in found)
    rels = [f.rel for f in found]
    assert rels == sorted(rels)
    assert rels == [
        "a.b/d.NDJSON",
        "a.txt",
        "a/c.json",
        "b.txt",
        "sub/deeper/x.html",
        "sub/deeper/y.jsonl.gz",
        "sub/z.md",
    ]
    first = found[1]
    assert first.path == tmp_path / "a.txt" and first.path.is_absolute()
    assert first.size == 1
    assert first.mtime_ns == (tmp_path / "a.txt").stat().st_mtime_ns


def test_discover_symlink_loop_and_links(tmp_path):
    make_tree(tmp_path)
    os.symlink(tmp_path, tmp_path / "sub" / "loop")  # a directory linked to an ancestor
    os.symlink(tmp_path / "sub", tmp_path / "sub" / "deeper" / "up")
    os.symlink(tmp_path / "a.txt", tmp_path / "zlink.txt")  # same file twice: yielded once
    os.symlink(tmp_path / "missing.txt", tmp_path / "broken.txt")
    other = tmp_path.parent / (tmp_path.name + "-other")
    other.mkdir()
    (other / "o.txt").write_text("o")
    os.symlink(other, tmp_path / "linked")
    items = list(discover([tmp_path]))
    rels = [i.rel for i in items if isinstance(i, SourceFile)]
    assert rels == sorted(rels)
    assert "linked/o.txt" in rels  # symlinked directories are followed once
    assert "zlink.txt" not in rels and "a.txt" in rels
    assert not any("loop" in r or "/up/" in r for r in rels)
    assert [s for s in items if isinstance(s, Skipped)] == [
        Skipped(path="broken.txt", reason="broken symbolic link")
    ]


def test_discover_single_files_and_missing(tmp_path):
    make_tree(tmp_path)
    items = list(
        discover(
            [
                tmp_path / "sub" / "z.md",
                str(tmp_path / "notes.pdf"),
                tmp_path / "nope",
                tmp_path / "sub",
            ]
        )
    )
    assert isinstance(items[0], SourceFile) and items[0].rel == "z.md"
    assert items[1] == Skipped(path="notes.pdf", reason="unsupported file type")
    assert isinstance(items[2], Skipped) and items[2].reason.startswith("cannot read:")
    # sub/z.md was already yielded as a root of its own
    assert [i.rel for i in items[3:]] == ["deeper/x.html", "deeper/y.jsonl.gz"]


def test_discover_unreadable_directory(tmp_path, monkeypatch):
    make_tree(tmp_path)
    real_scandir = os.scandir

    def scandir(path):
        if Path(path).name == "deeper":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(discovery.os, "scandir", scandir)
    items = list(discover([tmp_path]))
    skipped = [i for i in items if isinstance(i, Skipped)]
    assert skipped == [
        Skipped(path="sub/deeper", reason="cannot read directory: Permission denied")
    ]
    assert "sub/z.md" in [i.rel for i in items if isinstance(i, SourceFile)]


def test_discover_then_read_everything(tmp_path):
    make_tree(tmp_path)
    items = [item for sf in discover([tmp_path]) for item in read_file(sf)]
    articles = {a.id: a for a in items if isinstance(a, Article)}
    assert set(articles) == {"a.txt", "b.txt", "sub/z.md", "sub/deeper/x.html"}
    reasons = {s.path: s.reason for s in items if isinstance(s, Skipped)}
    assert reasons["a/c.json"] == "record has no text"
    assert reasons["a.b/d.NDJSON"] == "empty file"
    assert reasons["sub/deeper/y.jsonl.gz"] == "not a gzip file"


def test_every_supported_suffix_is_discovered_and_others_are_not(tmp_path):
    for i, suffix in enumerate(SUPPORTED_SUFFIXES):
        (tmp_path / f"f{i}{suffix.upper() if i % 2 else suffix}").write_bytes(b"x")
    (tmp_path / "notes.docx").write_bytes(b"x")
    (tmp_path / "data.csv").write_bytes(b"x")
    found = [sf.rel for sf in discover([tmp_path]) if not isinstance(sf, Skipped)]
    assert len(found) == len(SUPPORTED_SUFFIXES)
    assert not any(name.endswith((".docx", ".csv")) for name in found)
