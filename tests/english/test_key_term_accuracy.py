"""Key-term English and kinds against the hand-checked list (issue 14 part 1).

tests/fixtures/key_terms/README.md says how the list was made: the key terms newsum
gave for the pages of ../shared/data, each English and kind written by hand. The
numbers are in-sample (the rules were tuned while looking at these pages).

Scores, each printed:

* right: the English is one the list accepts (or both are none) and the kind is right;
* right or honestly blank: also counting a term newsum leaves without English where
  CC-CEDICT has no sense of the whole word (pinyin alone, as issue 14 asks, "rather
  than a wrong English");
* wrong English: newsum gives an English the list does not accept.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache

from tests.paths import REPO
from workers.english.cedict_senses import entries
from workers.english.term_english import StoryContext
from workers.english.terms import classify, compound_kind, describe

FIXTURE = REPO / "tests" / "fixtures" / "key_terms"
# Measured on this list (in-sample): with CC-CEDICT 2025, right 68.6 %, right or
# honestly blank 87.8 %, wrong English 7.6 %; with CC-CEDICT 2020, 67.5 %, 88.2 %,
# 7.2 %; before issue 14: 54.2 %, 55.3 %, 38.6 %.
# Issue 14 asks for 95 %: the README says what is still wrong and why.
MIN_RIGHT_OR_BLANK = 0.87
MAX_WRONG_ENGLISH = 0.08
KINDS = {"person", "place", "organization", "term"}


@dataclass(frozen=True)
class Row:
    zh: str
    en: str | None
    also: tuple[str, ...]
    kind: str
    page: str
    flag: str
    parts: tuple[str, ...]
    place_head: bool


@cache
def rows() -> tuple[Row, ...]:
    lines = (FIXTURE / "key_terms.jsonl").read_text(encoding="utf-8").splitlines()
    out = []
    for line in lines:
        data = json.loads(line)
        out.append(
            Row(
                data["zh"],
                data["en"],
                tuple(data["also"]),
                data["kind"],
                data["page"],
                data["flag"],
                tuple(data["parts"]),
                data["place_head"],
            )
        )
    return tuple(out)


@cache
def pages() -> dict[str, StoryContext]:
    data = json.loads((FIXTURE / "pages.json").read_text(encoding="utf-8"))
    return {
        page: StoryContext(
            hong_kong=v["hong_kong"], foreign=v["foreign"], subject=v["subject"], wholes=v["wholes"]
        )
        for page, v in data.items()
    }


def normalized(english: str) -> str:
    """Case, punctuation, a leading article or "to", a plural -s: no difference."""
    text = re.sub(r"[^\w\s'’-]", " ", english.casefold())
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"^(?:to|the|a|an) ", "", text)
    return text[:-1] if len(text) > 3 and text.endswith("s") else text


def newsum(row: Row) -> tuple[str | None, str | None]:
    """newsum's English and kind for a listed term, from what the tagger saw on its page."""
    if row.parts:
        kind = compound_kind(row.zh)
    else:
        kind = classify(row.zh, row.flag, before_place_suffix=row.place_head)
    if kind is None:
        return None, None
    return describe(row.zh, kind, row.parts, pages()[row.page])


def test_the_list_is_big_enough_and_well_formed() -> None:
    listed = rows()
    assert len(listed) >= 300
    assert len({r.zh for r in listed}) == len(listed)
    assert {r.kind for r in listed} <= KINDS
    assert {r.page for r in listed} <= set(pages())
    # Every kind is represented, and some terms have no right English at all.
    assert {r.kind for r in listed} == KINDS
    assert any(r.en is None for r in listed)


def test_accuracy_on_the_hand_checked_list() -> None:
    right = blank_ok = wrong = 0
    for row in rows():
        english, kind = newsum(row)
        accepted = {normalized(e) for e in (row.en, *row.also) if e}
        english_right = (english is None and row.en is None) or (
            english is not None and normalized(english) in accepted
        )
        honestly_blank = english is None and row.kind == "term" and not entries(row.zh)
        kind_right = kind == row.kind
        right += english_right and kind_right
        blank_ok += (english_right or honestly_blank) and kind_right
        wrong += english is not None and not english_right
    n = len(rows())
    print(
        f"\nkey terms, {n} hand-checked (in-sample): right {right / n:.1%}, "
        f"right or honestly blank {blank_ok / n:.1%}, wrong English {wrong / n:.1%}"
    )
    assert blank_ok / n >= MIN_RIGHT_OR_BLANK
    assert wrong / n <= MAX_WRONG_ENGLISH


def test_the_issue_examples_are_right() -> None:
    """The words issue 14 names, as the list has them."""
    listed = {r.zh: r for r in rows()}
    for zh in ["美国", "英国", "日本", "俄罗斯", "旧金山", "南美", "中美", "华为", "高通", "常德"]:
        row = listed[zh]
        english, kind = newsum(row)
        assert english is not None and normalized(english) in {
            normalized(e) for e in (row.en, *row.also) if e
        }, zh
        assert kind == row.kind, zh
    # 韩国队 is a team, 贸发 and 中医药 get no glued characters, 国家药监局 no "country".
    assert newsum(listed["韩国队"]) == ("South Korea team", "organization")
    assert newsum(listed["贸发"])[0] is None
    assert newsum(listed["中医药"])[0] is None
    # CC-CEDICT 2025 no longer lists 药监局 (the SFDA it named was dissolved in 2013):
    # no English then, never "country State …" glued from its parts.
    assert newsum(listed["国家药监局"])[0] is None
