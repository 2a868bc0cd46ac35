"""Hong Kong and Macau names as the English press writes them: Cantonese, in the Hong
Kong government's romanisation (陈同佳 → Chan Tung-kai, 何俊仁 → Ho Chun-yan).

The Cantonese reading comes from ToJyutping (CanCLID, BSD 2-Clause), in Jyutping.
Jyutping is turned into the Hong Kong government's spelling (the one on identity
cards, street signs and in the press) by the tables below, after the correspondence
table of Wikipedia's "Hong Kong Government Cantonese Romanisation" article: initials
b d g gw z c j → p t k kw ch ch y; finals aa → a (aai → ai …), oeng → eung, eoi → ui, eon → un,
yu → u (yu after j), yun → uen, yut → uet, un → oon, ou → o, i → ee after j and sze
after s. Where that table allows two spellings the one names use most is taken (振
zan → Chun, 新 san → San).

Surnames keep the spellings in use rather than the rule's (李 Lee, not Lei; 曾 Tsang,
not Chang): ``HK_SURNAMES``, the Hong Kong column of Wikipedia's "List of common
Chinese surnames" and its Hong Kong name articles.

A name is written surname first, the given name's syllables joined by a hyphen, the
second in lower case: Leung Chun-ying, Ho Chun-yan, Poon Hiu-wing.
"""

from __future__ import annotations

import re
from functools import lru_cache

HK_SURNAMES: dict[str, str] = {
    "陈": "Chan",
    "黄": "Wong",
    "王": "Wong",
    "汪": "Wong",
    "李": "Lee",
    "利": "Lee",
    "张": "Cheung",
    "梁": "Leung",
    "何": "Ho",
    "贺": "Ho",
    "林": "Lam",
    "刘": "Lau",
    "吴": "Ng",
    "伍": "Ng",
    "郑": "Cheng",
    "邓": "Tang",
    "杨": "Yeung",
    "周": "Chau",
    "邹": "Chau",
    "叶": "Yip",
    "曾": "Tsang",
    "谢": "Tse",
    "徐": "Tsui",
    "崔": "Tsui",
    "许": "Hui",
    "蔡": "Choi",
    "郭": "Kwok",
    "罗": "Law",
    "马": "Ma",
    "朱": "Chu",
    "胡": "Wu",
    "冯": "Fung",
    "卢": "Lo",
    "麦": "Mak",
    "潘": "Poon",
    "钟": "Chung",
    "彭": "Pang",
    "余": "Yu",
    "袁": "Yuen",
    "阮": "Yuen",
    "曹": "Tso",
    "苏": "So",
    "莫": "Mok",
    "吕": "Lui",
    "雷": "Lui",
    "谭": "Tam",
    "唐": "Tong",
    "汤": "Tong",
    "方": "Fong",
    "江": "Kong",
    "赵": "Chiu",
    "萧": "Siu",
    "肖": "Siu",
    "钱": "Chin",
    "孙": "Suen",
    "高": "Ko",
    "石": "Shek",
    "岑": "Shum",
    "沈": "Shum",
    "程": "Ching",
    "严": "Yim",
    "区": "Au",
    "欧": "Au",
    "欧阳": "Au-Yeung",
    "司徒": "Szeto",
    "邱": "Yau",
    "丘": "Yau",
    "游": "Yau",
    "姚": "Yiu",
    "文": "Man",
    "黎": "Lai",
    "赖": "Lai",
    "傅": "Fu",
    "廖": "Liu",
    "范": "Fan",
    "侯": "Hau",
    "孔": "Hung",
    "洪": "Hung",
    "熊": "Hung",
    "龚": "Kung",
    "邝": "Kwong",
    "关": "Kwan",
    "管": "Koon",
    "温": "Wan",
    "尹": "Wan",
    "韦": "Wai",
    "魏": "Ngai",
    "倪": "Ngai",
    "颜": "Ngan",
    "施": "Sze",
    "翁": "Yung",
    "容": "Yung",
    "戴": "Tai",
    "蒋": "Tseung",
    "姜": "Keung",
    "薛": "Sit",
    "杜": "To",
    "毛": "Mo",
    "田": "Tin",
    "任": "Yam",
    "陆": "Luk",
    "鲍": "Pau",
    "庞": "Pong",
    "简": "Kan",
    "甘": "Kam",
    "金": "Kam",
    "聂": "Nip",
    "邵": "Shiu",
    "易": "Yik",
    "冼": "Sin",
    "霍": "Fok",
    "骆": "Lok",
    "古": "Ku",
    "卫": "Wai",
    "秦": "Chun",
    "宋": "Sung",
    "董": "Tung",
    "白": "Pak",
    "柯": "Or",
    "左": "Cho",
    "祝": "Chuk",
    "葛": "Kot",
    "詹": "Chim",
    "包": "Pau",
    "夏": "Ha",
    "屈": "Wat",
    "焦": "Chiu",
}

_INITIALS = (
    "gw",
    "kw",
    "ng",
    "b",
    "p",
    "m",
    "f",
    "d",
    "t",
    "n",
    "l",
    "g",
    "k",
    "h",
    "w",
    "z",
    "c",
    "s",
    "j",
)
_INITIAL_HK = {"b": "p", "d": "t", "g": "k", "gw": "kw", "z": "ch", "c": "ch", "j": "y"}
_FINAL_HK = {
    "aa": "a",
    "oeng": "eung",
    "oek": "euk",
    "eoi": "ui",
    "eon": "un",
    "eot": "ut",
    "yu": "u",
    "yun": "uen",
    "yut": "uet",
    "un": "oon",
    "ou": "o",
}
# Initial + final pairs that names spell their own way (same sources).
_SYLLABLE_HK = {
    ("j", "i"): "yee",
    ("s", "i"): "sze",
    ("z", "an"): "chun",  # 振 珍 真 震
    ("b", "an"): "pun",  # 斌 彬 宾
    ("z", "ang"): "tsang",
    ("z", "e"): "tse",
    ("w", "aa"): "wah",
    ("s", "eoi"): "shui",
    ("s", "eon"): "shun",
    ("s", "yu"): "shu",
    ("s", "oeng"): "sheung",
    ("s", "ek"): "shek",
    ("s", "ing"): "shing",
    ("s", "aan"): "shan",
}
_JYUTPING = re.compile(r"^([a-z]+?)([1-6])$")


def hk_syllable(jyutping: str) -> str:
    """One Jyutping syllable (tone number optional) in Hong Kong government spelling:
    zeon3 → chun, loeng4 → leung, gaai1 → kai, jan4 → yan, ng4 → ng."""
    match = _JYUTPING.match(jyutping)
    plain = match.group(1) if match else jyutping
    if plain in ("m", "ng"):
        return plain
    initial = next((i for i in _INITIALS if plain.startswith(i) and len(plain) > len(i)), "")
    final = plain[len(initial) :]
    if (initial, final) in _SYLLABLE_HK:
        return _SYLLABLE_HK[(initial, final)]
    if final.startswith("aa") and final != "aa":
        final = final[1:]  # aai → ai, aan → an, aang → ang
    return _INITIAL_HK.get(initial, initial) + _FINAL_HK.get(final, final)


@lru_cache(maxsize=4096)
def jyutping(text: str) -> tuple[str | None, ...]:
    """ToJyutping's reading of each character of ``text`` (None where it has none)."""
    import ToJyutping

    return tuple(reading for _, reading in ToJyutping.get_jyutping_list(text))


def _syllables(han: str) -> list[str]:
    out = []
    for ch, reading in zip(han, jyutping(han), strict=True):
        # A reading may list alternatives ("hang4 haang4"): the first is the usual one.
        out.append(hk_syllable(reading.split()[0]) if reading else ch)
    return out


def _surname(name: str) -> tuple[str, str, str]:
    """(surname characters, its spelling, the given name)."""
    if len(name) >= 3 and name[:2] in HK_SURNAMES:
        return name[:2], HK_SURNAMES[name[:2]], name[2:]
    first = name[:1]
    spelled = HK_SURNAMES.get(first) or "".join(_syllables(first)).capitalize()
    return first, spelled, name[1:]


def romanize_hk_name(name: str) -> str:
    """A Hong Kong or Macau person's name: 梁振英 → "Leung Chun-ying", 何俊仁 → "Ho
    Chun-yan". A married woman's two surnames stay two words (林郑月娥 → "Lam Cheng
    Yuet-ngo"). Text that is not Chinese comes back stripped."""
    name = name.strip()
    if not re.fullmatch(r"[\u4e00-\u9fff]+", name):
        return name
    _, surname, given = _surname(name)
    words = [surname]
    # 林郑月娥: a second surname before a two-character given name.
    if len(given) == 3 and given[0] in HK_SURNAMES:
        words.append(HK_SURNAMES[given[0]])
        given = given[1:]
    if given:
        words.append("-".join(_syllables(given)).capitalize())
    return " ".join(words)
