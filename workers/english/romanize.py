"""Chinese names in Latin letters, written the way an English newsroom writes them.

pypinyin gives the syllables; the casing, joining and the corrections are
ours. pypinyin has no surname mode (曾 → ceng, 单 → dan) and makes phrase
errors (长三角 → zhang san jiao), so two small tables come first:

* surnames with their name reading (曾 Zeng, 单 Shan, 尉迟 Yuchi …);
* known places with their usual English name (长三角 → Yangtze River Delta,
  香港 → Hong Kong, 台北 → Taipei, 陕西 → Shaanxi …) and, for the tone-marked
  form, a few place readings pypinyin gets wrong (长 cháng, 厦 xià, 蚌 bèng).

Conventions:

* A person is "Surname Givenname": 裘建锋 → "Qiu Jianfeng", 欧阳修 → "Ouyang Xiu".
* A place is written joined and capitalized, with an apostrophe where a
  syllable starting with a, o or e would run into the one before (西安 → Xi'an).
* Administrative suffixes: 市 is dropped (嘉兴市 → "Jiaxing": English names
  cities bare); the others become English words, as Chinese media in English
  write them: 省 Province, 区 District, 县 County, 镇 Town, 乡 Township,
  村 Village, 街道 Subdistrict, 自治区 Autonomous Region, 自治州 Autonomous
  Prefecture (浙江省 → "Zhejiang Province", 秀洲区 → "Xiuzhou District"). A
  one-character stem keeps its suffix as part of the name (沙市 → "Shashi").
* Natural features: 湾 Bay and 湖 Lake after a stem of two or more characters
  (杭州湾 → "Hangzhou Bay"; 南湖 → "Nanhu").
* ü is written ü (吕 → Lü); comparisons elsewhere strip the diacritics.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from typing import Literal

NameKind = Literal["person", "place", "term"]

# Surname readings: (characters, name reading with tone mark). Compound
# surnames first in matching; a single character here overrides pypinyin's
# everyday reading.
COMPOUND_SURNAMES: dict[str, str] = {
    "欧阳": "ōu yáng",
    "司马": "sī mǎ",
    "诸葛": "zhū gě",
    "上官": "shàng guān",
    "司徒": "sī tú",
    "司空": "sī kōng",
    "东方": "dōng fāng",
    "夏侯": "xià hóu",
    "皇甫": "huáng fǔ",
    "尉迟": "yù chí",
    "公孙": "gōng sūn",
    "慕容": "mù róng",
    "长孙": "zhǎng sūn",
    "宇文": "yǔ wén",
    "令狐": "líng hú",
    "端木": "duān mù",
    "澹台": "tán tái",
    "轩辕": "xuān yuán",
    "呼延": "hū yán",
    "独孤": "dú gū",
    "南宫": "nán gōng",
    "西门": "xī mén",
    "万俟": "mò qí",
    "闻人": "wén rén",
    "申屠": "shēn tú",
    "太史": "tài shǐ",
    "钟离": "zhōng lí",
    "赫连": "hè lián",
    "拓跋": "tuò bá",
    "百里": "bǎi lǐ",
    "东郭": "dōng guō",
    "左丘": "zuǒ qiū",
    "公冶": "gōng yě",
    "濮阳": "pú yáng",
    "单于": "chán yú",
    "仲孙": "zhòng sūn",
    "叔孙": "shū sūn",
    "第五": "dì wǔ",
}
SURNAME_READINGS: dict[str, str] = {
    "曾": "zēng",
    "单": "shàn",
    "解": "xiè",
    "区": "ōu",
    "仇": "qiú",
    "朴": "piáo",
    "查": "zhā",
    "盖": "gě",
    "尉": "wèi",
    "乐": "yuè",
    "缪": "miào",
    "繁": "pó",
    "秘": "bì",
    "覃": "qín",
    "翟": "zhái",
    "员": "yùn",
    "种": "chóng",
    "折": "shé",
    "召": "shào",
    "褚": "chǔ",
    "柏": "bǎi",
    "冼": "xiǎn",
    "藏": "zàng",
    "沈": "shěn",
    "贾": "jiǎ",
    "石": "shí",
    "黑": "hè",
    "能": "nài",
    "句": "gōu",
    "宁": "níng",
    "都": "dū",
    "重": "chóng",
    "那": "nā",
    "华": "huà",
    "任": "rén",
    "曲": "qū",
    "薄": "bó",
    "纪": "jǐ",
    "葛": "gě",
    "阚": "kàn",
    "隗": "wěi",
    "厍": "shè",
    "牟": "móu",
    "逄": "páng",
    "莘": "shēn",
    "佴": "nài",
    "长": "cháng",
    "朝": "cháo",
    "万": "wàn",
    "行": "xíng",
    "应": "yīng",
    "燕": "yān",
    "过": "guō",
    "相": "xiàng",
    "卜": "bǔ",
    "汤": "tāng",
    "殷": "yīn",
    "车": "chē",
    "和": "hé",
}

# Places whose English name a rule cannot give, with the English name Xinhua
# and China Daily use (GB/T 2260 for the province-level divisions):
# * the 34 province-level divisions, and the autonomous regions' full names;
# * places whose English name is not their joined pinyin: conventional and
#   Wade-Giles names (Hong Kong, Macao, Taipei, Kaohsiung, Tibet, Harbin,
#   Urumqi, Lhasa, Hohhot, Kashgar, Kowloon), 陕西 Shaanxi (pinyin: Shanxi);
# * regions and rivers with English names (长三角 Yangtze River Delta,
#   长江 Yangtze River, 京津冀, 大湾区), and 内地/大陆 "mainland China".
# Every other place is written as pinyin by rule (嘉兴 → Jiaxing, 秀洲区 →
# Xiuzhou District, 杭州湾 → Hangzhou Bay) and found as a place by
# ``workers.english.kinds.is_place_name`` (jieba's dictionary tag ns,
# CC-CEDICT's place entries, CLDR, administrative suffixes). Foreign places take
# their English names from CLDR and CC-CEDICT (``workers.english.term_english``).
KNOWN_PLACES: dict[str, str] = {
    "中国": "China",
    "中华人民共和国": "People's Republic of China",
    "北京": "Beijing",
    "天津": "Tianjin",
    "上海": "Shanghai",
    "重庆": "Chongqing",
    "河北": "Hebei",
    "山西": "Shanxi",
    "内蒙古": "Inner Mongolia",
    "辽宁": "Liaoning",
    "吉林": "Jilin",
    "黑龙江": "Heilongjiang",
    "江苏": "Jiangsu",
    "浙江": "Zhejiang",
    "安徽": "Anhui",
    "福建": "Fujian",
    "江西": "Jiangxi",
    "山东": "Shandong",
    "河南": "Henan",
    "湖北": "Hubei",
    "湖南": "Hunan",
    "广东": "Guangdong",
    "广西": "Guangxi",
    "海南": "Hainan",
    "四川": "Sichuan",
    "贵州": "Guizhou",
    "云南": "Yunnan",
    "西藏": "Tibet",
    "陕西": "Shaanxi",
    "甘肃": "Gansu",
    "青海": "Qinghai",
    "宁夏": "Ningxia",
    "新疆": "Xinjiang",
    "香港": "Hong Kong",
    "澳门": "Macao",
    "台湾": "Taiwan",
    "广西壮族自治区": "Guangxi Zhuang Autonomous Region",
    "新疆维吾尔自治区": "Xinjiang Uygur Autonomous Region",
    "宁夏回族自治区": "Ningxia Hui Autonomous Region",
    "台北": "Taipei",
    "高雄": "Kaohsiung",
    "台中": "Taichung",
    "台南": "Tainan",
    "新竹": "Hsinchu",
    "基隆": "Keelung",
    "桃园": "Taoyuan",
    "九龙": "Kowloon",
    "哈尔滨": "Harbin",
    "乌鲁木齐": "Urumqi",
    "拉萨": "Lhasa",
    "呼和浩特": "Hohhot",
    "喀什": "Kashgar",
    "长三角": "Yangtze River Delta",
    "长江三角洲": "Yangtze River Delta",
    "珠三角": "Pearl River Delta",
    "珠江三角洲": "Pearl River Delta",
    "京津冀": "Beijing-Tianjin-Hebei",
    "粤港澳大湾区": "Guangdong-Hong Kong-Macao Greater Bay Area",
    "大湾区": "Greater Bay Area",
    "长江": "Yangtze River",
    "黄河": "Yellow River",
    "珠江": "Pearl River",
    "长江经济带": "Yangtze River Economic Belt",
    "内地": "mainland China",
    "大陆": "mainland China",
}
# Natural features written as English words after a name of two or more
# characters (杭州湾 → Hangzhou Bay, 洞庭湖 → Dongting Lake); a one-character
# stem stays one word (南湖 → Nanhu, 平湖 → Pinghu). 山, 江, 河 and 岛 are left
# out: cities carry them (马鞍山, 牡丹江, 秦皇岛).
FEATURE_SUFFIXES: tuple[tuple[str, str], ...] = (("湾", " Bay"), ("湖", " Lake"))

# Tone-marked readings pypinyin gets wrong in place names (and a few words
# that travel with them). Longest match wins.
PHRASE_READINGS: dict[str, str] = {
    "长三角": "cháng sān jiǎo",
    "长江": "cháng jiāng",
    "长沙": "cháng shā",
    "长春": "cháng chūn",
    "长安": "cháng ān",
    "长治": "cháng zhì",
    "重庆": "chóng qìng",
    "厦门": "xià mén",
    "蚌埠": "bèng bù",
    "六安": "lù ān",
    "丽水": "lí shuǐ",
    "台州": "tāi zhōu",
    "乐清": "yuè qīng",
    "番禺": "pān yú",
    "铅山": "yán shān",
    "东阿": "dōng ē",
    "单县": "shàn xiàn",
    "涡阳": "guō yáng",
    "蔚县": "yù xiàn",
    "莘县": "shēn xiàn",
    "洪洞": "hóng tóng",
    "大城": "dà chéng",
}

# Administrative suffix → English word ("" drops it). Longest first.
PLACE_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("特别行政区", " Special Administrative Region"),
    ("自治区", " Autonomous Region"),
    ("自治州", " Autonomous Prefecture"),
    ("自治县", " Autonomous County"),
    ("街道", " Subdistrict"),
    # 地区 is an area or region (湖北地区, 台湾地区, 天安门地区), or in Xinjiang and
    # Tibet a prefecture-level unit; never the 区 "District" its last character is.
    ("地区", " region"),
    ("省", " Province"),
    ("市", ""),
    ("区", " District"),
    ("县", " County"),
    ("镇", " Town"),
    ("乡", " Township"),
    ("村", " Village"),
)

_HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3007]+")
_VOWEL_START = ("a", "e", "o", "ā", "á", "ǎ", "à", "ē", "é", "ě", "è", "ō", "ó", "ǒ", "ò")


def _tone_syllables(han: str) -> list[str]:
    """Tone-marked syllables of a run of Han characters, phrase table first."""
    from pypinyin import Style, lazy_pinyin

    out: list[str] = []
    i = 0
    longest = max(len(p) for p in PHRASE_READINGS)
    while i < len(han):
        for size in range(min(longest, len(han) - i), 1, -1):
            reading = PHRASE_READINGS.get(han[i : i + size])
            if reading:
                out.extend(reading.split())
                i += size
                break
        else:
            # Collect the run up to the next phrase-table hit, so pypinyin
            # still sees whole phrases for its own heteronym choice.
            j = i + 1
            while j < len(han) and not any(han.startswith(p, j) for p in PHRASE_READINGS):
                j += 1
            out.extend(lazy_pinyin(han[i:j], style=Style.TONE, errors="default"))
            i = j
    return out


def _strip_tones(syllable: str) -> str:
    # ü keeps its dots: only the tone marks (macron, acute, caron, grave) go.
    decomposed = unicodedata.normalize("NFD", syllable)
    kept = "".join(c for c in decomposed if c not in "\u0304\u0301\u030c\u0300")
    return unicodedata.normalize("NFC", kept)


def _join(syllables: list[str]) -> str:
    """Syllables joined as one word, with an apostrophe before a, e or o (xi'an)."""
    word = ""
    for syllable in syllables:
        if word and syllable.startswith(_VOWEL_START):
            word += "'"
        word += syllable
    return word


def _capitalize(word: str) -> str:
    return word[:1].upper() + word[1:]


def _word(han: str, *, tones: bool) -> str:
    syllables = _tone_syllables(han)
    if not tones:
        syllables = [_strip_tones(s) for s in syllables]
    return _join(syllables)


def _split_surname(name: str) -> tuple[str, str]:
    if len(name) >= 3 and name[:2] in COMPOUND_SURNAMES:
        return name[:2], name[2:]
    return name[:1], name[1:]


def _surname_syllables(surname: str) -> list[str]:
    if surname in COMPOUND_SURNAMES:
        return COMPOUND_SURNAMES[surname].split()
    if surname in SURNAME_READINGS:
        return [SURNAME_READINGS[surname]]
    return _tone_syllables(surname)


def _person(name: str, *, tones: bool) -> str:
    parts = []
    # Names of minority and foreign people are written with a middle dot
    # (阿卜杜勒·艾尼); each part is one capitalized word.
    for part in re.split(r"[·•・]", name):
        if not part:
            continue
        if not _HAN_RUN.fullmatch(part):
            parts.append(part)
            continue
        if "·" in name or "•" in name or "・" in name:
            parts.append(_capitalize(_word(part, tones=tones)))
            continue
        surname, given = _split_surname(part)
        syllables = _surname_syllables(surname)
        if not tones:
            syllables = [_strip_tones(s) for s in syllables]
        words = [_capitalize(_join(syllables))]
        if given:
            words.append(_capitalize(_word(given, tones=tones)))
        parts.append(" ".join(words))
    return " ".join(parts)


def romanize_name(name: str) -> str:
    """A person's name as English writes it: surname first, given name joined.

    裘建锋 → "Qiu Jianfeng", 欧阳修 → "Ouyang Xiu", 曾国藩 → "Zeng Guofan",
    单雄信 → "Shan Xiongxin". Text that is not Chinese comes back stripped.
    """
    name = name.strip()
    if not _HAN_RUN.search(name):
        return name
    return _person(name, tones=False)


def _split_place_suffix(name: str) -> tuple[str, str]:
    if name in KNOWN_PLACES:
        return name, ""
    for suffix, english in PLACE_SUFFIXES:
        stem = name[: -len(suffix)]
        if name.endswith(suffix) and len(stem) >= 2:
            return stem, english
    return name, ""


def romanize_place(name: str) -> str:
    """A place name as English writes it (conventions in the module docstring).

    The known-place table first (长三角 → "Yangtze River Delta", 香港 →
    "Hong Kong"), else joined pinyin, capitalized: 嘉兴 → "Jiaxing",
    嘉兴市 → "Jiaxing", 浙江省 → "Zhejiang Province", 秀洲区 → "Xiuzhou District".
    """
    name = name.strip()
    if not _HAN_RUN.search(name):
        return name
    stem, suffix = _split_place_suffix(name)
    if stem in KNOWN_PLACES:
        return KNOWN_PLACES[stem] + suffix
    for feature, english in FEATURE_SUFFIXES:
        if not suffix and stem.endswith(feature) and len(stem) >= 3:
            stem, suffix = stem[: -len(feature)], english
            if stem in KNOWN_PLACES:
                return KNOWN_PLACES[stem] + suffix
            break
    words = []
    for piece in _pieces(stem):
        words.append(_capitalize(_word(piece, tones=False)) if _HAN_RUN.fullmatch(piece) else piece)
    return "".join(words).strip() + suffix


def _pieces(text: str) -> Iterator[str]:
    """Han runs and the text between them, in order."""
    start = 0
    for match in _HAN_RUN.finditer(text):
        if match.start() > start:
            yield text[start : match.start()]
        yield match.group()
        start = match.end()
    if start < len(text):
        yield text[start:]


def pinyin_with_tones(text: str, *, kind: NameKind | None = None) -> str:
    """Tone-marked pinyin, each run of Han characters written as one word.

    ``kind="person"`` uses surname readings and writes "Qiú Jiànfēng";
    ``kind="place"`` capitalizes (and reads 长三角 as Chángsānjiǎo); with no
    kind a known place is capitalized (嘉兴 → "Jiāxīng") and anything else is
    lower case (主题 → "zhǔtí"). Characters that are not Han are kept.
    """
    text = text.strip()
    if kind == "person" and _HAN_RUN.fullmatch(text.replace("·", "")):
        return _person(text, tones=True)
    stem, _suffix = _split_place_suffix(text)
    known = stem in KNOWN_PLACES
    if (kind == "place" or (kind is None and known)) and _HAN_RUN.fullmatch(text):
        # Pinyin orthography writes the administrative suffix as its own
        # capitalized word: Zhèjiāng Shěng.
        words = [_capitalize(_word(stem, tones=True))]
        if stem != text:
            words.append(_capitalize(_word(text[len(stem) :], tones=True)))
        return " ".join(words)
    proper = kind == "person"
    out = []
    for piece in _pieces(text):
        if _HAN_RUN.fullmatch(piece):
            word = _word(piece, tones=True)
            out.append(_capitalize(word) if proper else word)
        else:
            out.append(piece)
    return "".join(out)
