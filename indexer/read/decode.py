"""Bytes to text for files that do not declare their encoding.

UTF-8 (with or without BOM), UTF-32/UTF-16 with a BOM, UTF-8 with a few corrupt bytes, then
GB18030 versus Big5 chosen by how Chinese each decoding looks; Western text in a legacy
single-byte encoding (cp1252) is refused rather than read as rare ideographs.  Also the
binary-file sniff shared by every format.
"""

from __future__ import annotations

import codecs
import contextlib
import re

from indexer.errors import UnreadableFileError

_SNIFF_BYTES = 8192


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
