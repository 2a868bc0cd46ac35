"""Reading CC-CEDICT 2025: one sense per item, cross-references followed, cited words out."""

from __future__ import annotations

from pathlib import Path

from workers.english.cc_cedict import EDITION, Dictionary, data_file, parse_line

SAMPLE = """\
# CC-CEDICT
#! date=2025-10-02T08:06:08Z
常德 常德 [Chang2 de2] /see 常德市[Chang2 de2 Shi4]/
常德市 常德市 [Chang2 de2 Shi4] /Changde, city in Hunan Province 湖南省[Hu2 nan2 Sheng3]/
南沙 南沙 [Nan2 sha1] /see 南沙群島|南沙群岛[Nan2 sha1 Qun2 dao3]/see 南沙區|南沙区[Nan2 sha1 Qu1]/
南沙群島 南沙群岛 [Nan2 sha1 Qun2 dao3] /Spratly Islands/
南沙區 南沙区 [Nan2 sha1 Qu1] /Nansha District of Guangzhou City 廣州市|广州市[Guang3 zhou1 Shi4]/
對象 对象 [dui4 xiang4] /target; object/partner; boyfriend; girlfriend/CL:個|个[ge4]/
特朗普 特朗普 [Te4 lang3 pu3] /Donald Trump (1946–), US president/
日 日 [Ri4] /abbr. for 日本[Ri4 ben3], Japan/
好 好 [hao3] /good/
好 好 [hao4] /to be fond of/
broken line without brackets
"""


def dictionary(tmp_path: Path) -> Dictionary:
    path = tmp_path / "cc-cedict.txt"
    path.write_text(SAMPLE, encoding="utf-8")
    return Dictionary(path)


def senses(d: Dictionary, word: str) -> list[list[str]]:
    found = d.lookup(word)
    assert found is not None, word
    return [r.definitions for r in found.definition_entries]


def test_semicolon_groups_are_separate_senses_in_order(tmp_path: Path) -> None:
    d = dictionary(tmp_path)
    assert senses(d, "对象")[0][:5] == ["target", "object", "partner", "boyfriend", "girlfriend"]
    assert senses(d, "對象") == senses(d, "对象")  # the traditional form finds it too


def test_a_bare_reference_reads_as_the_word_it_points_to(tmp_path: Path) -> None:
    d = dictionary(tmp_path)
    assert senses(d, "常德") == [["Changde, city in Hunan Province"]]
    # The administrative unit first, then the rest in file order.
    assert senses(d, "南沙") == [["Nansha District of Guangzhou City", "Spratly Islands"]]


def test_dashes_readings_and_pointers(tmp_path: Path) -> None:
    d = dictionary(tmp_path)
    assert senses(d, "特朗普") == [["Donald Trump (1946-), US president"]]
    assert senses(d, "日") == [["abbr. for 日本[Ri4 ben3], Japan"]]  # pointers keep their words
    assert senses(d, "好") == [["good"], ["to be fond of"]]
    assert d.lookup("没有") is None
    assert len(d) == 9


def test_parse_line_refuses_what_is_no_entry() -> None:
    assert parse_line("# comment") is None
    assert parse_line("broken line without brackets") is None
    assert parse_line("A B C [x] /y/") is None
    assert parse_line("好 好 [hao3] //") is None


def test_the_installed_edition_is_the_2025_one() -> None:
    head = data_file().read_text(encoding="utf-8")[:2000]
    assert "#! date=2025-10-02" in head
    assert "2025-10-02" in EDITION
