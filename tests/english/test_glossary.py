"""Glossaries around the translator, the default CC-CEDICT glossary, person-name repair."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

import pytest

from tests.paths import SEED_ARTICLE
from workers.english.glossary import (
    DEFAULT_GLOSSARY_FILE,
    GlossaryTranslator,
    TermIndex,
    default_glossary,
    merged_glossary,
    parse_glossary,
    repair_person_names,
    server_glossary,
    used_terms,
)
from workers.errors import InvalidRequest
from workers.settings import Settings


class EchoTranslator:
    """A stand-in model that "translates" by copying its input, optionally dropping Latin
    letters (as a model that garbles placeholders does). Records every batch."""

    model_id = "test/echo"
    revision = None
    engine_name = "echo"
    max_input_tokens = 512

    def __init__(self, *, drop_latin: bool = False, fixed: str | None = None) -> None:
        self.drop_latin = drop_latin
        self.fixed = fixed
        self.calls: list[list[str]] = []

    def count_tokens(self, text: str) -> int:
        return len(text) + 1

    def generate(self, texts: Sequence[str], *, max_new_tokens: int | None = None) -> list[str]:
        self.calls.append(list(texts))
        if self.fixed is not None:
            return [self.fixed for _ in texts]
        return [re.sub(r"[A-Za-z0-9]", "", t) if self.drop_latin else t for t in texts]


def test_default_glossary_has_official_names_and_no_common_words() -> None:
    terms = default_glossary()
    assert DEFAULT_GLOSSARY_FILE.stat().st_size < 1_000_000
    assert 3_000 < len(terms) < 20_000
    assert terms["香港"] == "Hong Kong"
    assert terms["台北"] == "Taipei"  # Taiwan's own spelling, not pinyin Taibei
    assert terms["高雄"] == "Kaohsiung"
    assert terms["嘉兴"] == "Jiaxing"
    assert terms["海淀区"] == "Haidian District"
    assert terms["国务院"] == "State Council"
    assert terms["清华大学"] == "Tsinghua University"
    assert terms["新华社"] == "Xinhua News Agency"
    # Also common words: 大同 is "great harmony" as often as it is Datong.
    assert "大同" not in terms and "太平" not in terms
    header = DEFAULT_GLOSSARY_FILE.read_text(encoding="utf-8")[:600]
    assert "CC-CEDICT" in header and "CC BY-SA 4.0" in header


def test_parse_json_and_tsv_and_refuse_bad_lines() -> None:
    assert parse_glossary('{"嘉兴": "Jiaxing"}', source="x") == {"嘉兴": "Jiaxing"}
    assert parse_glossary("# note\n嘉兴\tJiaxing\n\n南湖\tSouth Lake\n", source="x") == {
        "嘉兴": "Jiaxing",
        "南湖": "South Lake",
    }
    with pytest.raises(InvalidRequest, match="line 2"):
        parse_glossary("嘉兴\tJiaxing\n南湖 South Lake\n", source="x")
    with pytest.raises(InvalidRequest, match="object of strings"):
        parse_glossary('{"嘉兴": 1}', source="x")


def test_layers_merge_later_wins(tmp_path: Path) -> None:
    path = tmp_path / "server.json"
    path.write_text(json.dumps({"嘉兴": "Jiaxing City", "红船": "Red Boat"}), "utf-8")
    settings = Settings(glossary_file=path)
    server = server_glossary(settings)
    assert server["嘉兴"] == "Jiaxing City" and server["香港"] == "Hong Kong"
    assert server_glossary(Settings(glossary_file=path, default_glossary=False)) == {
        "嘉兴": "Jiaxing City",
        "红船": "Red Boat",
    }
    assert merged_glossary(server, {"红船": "the Red Boat"}, None)["红船"] == "the Red Boat"


def test_longest_match_wins() -> None:
    index = TermIndex({"嘉兴": "Jiaxing", "嘉兴市": "Jiaxing City", "南湖": "Nanhu"})
    assert index.find("嘉兴市南湖区和嘉兴") == [(0, 3, "嘉兴市"), (3, 5, "南湖"), (7, 9, "嘉兴")]
    assert used_terms("南湖的船", {"南湖": "Nanhu", "北京": "Beijing"}) == {"南湖": "Nanhu"}
    # Letters of a name across two words are no name: 黄河 / 南岸 holds no 河南.
    assert TermIndex({"河南": "Henan"}).find("黄河南岸") == []
    assert TermIndex({"河南": "Henan"}).find("河南省郑州市") == [(0, 2, "河南")]


def test_placeholders_that_survive_are_replaced() -> None:
    echo = EchoTranslator()
    wrapped = GlossaryTranslator(echo, {"嘉兴": "Jiaxing", "红船": "Red Boat"})
    out = wrapped.generate(["记者在嘉兴看到红船。", "没有术语。"])
    assert out == ["记者在 Jiaxing 看到 Red Boat。", "没有术语。"]
    # First the plain sentences, then only the one that missed its terms, masked.
    assert echo.calls == [["记者在嘉兴看到红船。", "没有术语。"], ["记者在 QX1 看到 QX2 。"]]
    assert wrapped.placeholders == ["记者在嘉兴看到红船。"] and wrapped.fallbacks == []


def test_a_translation_that_already_has_the_term_is_left_alone() -> None:
    model = EchoTranslator(fixed="Reporters in Jiaxing saw it.")
    wrapped = GlossaryTranslator(model, {"嘉兴": "Jiaxing"})
    assert wrapped.generate(["记者在嘉兴看到。"]) == ["Reporters in Jiaxing saw it."]
    assert len(model.calls) == 1


def test_lost_placeholders_fall_back_to_pieces() -> None:
    model = EchoTranslator(drop_latin=True)
    wrapped = GlossaryTranslator(model, {"嘉兴": "Jiaxing"})
    (out,) = wrapped.generate(["记者在嘉兴采访市民。"])
    assert out == "记者在 Jiaxing 采访市民。"
    assert model.calls[-1] == ["记者在", "采访市民。"]
    assert wrapped.fallbacks == ["记者在嘉兴采访市民。"]


def test_mangled_person_names_are_put_back() -> None:
    zh = "记者裘建锋报道，王文香说今年收入增长。"
    fixed, missing = repair_person_names(
        zh, "Reporter Qiu Jianfang reported that Wang Wenxiang said income grew."
    )
    assert fixed == "Reporter Qiu Jianfeng reported that Wang Wenxiang said income grew."
    assert missing == []
    # Nothing to swap in: recorded, not guessed.
    fixed, missing = repair_person_names("记者裘建锋报道。", "The reporter reported.")
    assert fixed == "The reporter reported."
    assert missing == ["裘建锋 (Qiu Jianfeng)"]
    assert repair_person_names("今天下雨。", "It rains today.") == ("It rains today.", [])
    # A foreign name in characters (约翰·米勒-怀特) has no pinyin to restore.
    english = "John Miller-White, chairman, said."
    assert repair_person_names("主席约翰·米勒-怀特认为。", english) == (english, [])


@pytest.mark.engine
def test_tiny_marian_renders_every_term(tiny_model_dir: Path) -> None:
    from workers.english.engines import load_engines

    settings = Settings(model_dir=tiny_model_dir, torch_threads=1, num_beams=1, max_new_tokens=12)
    translator = load_engines(settings, "auto").translator
    assert translator is not None
    sentences = [
        line
        for line in SEED_ARTICLE.read_text(encoding="utf-8").splitlines()
        if "嘉兴" in line and 10 < len(line) < 80
    ][:4]
    assert sentences
    glossary = {"嘉兴": "Jiaxing", "主题教育": "theme education"}
    wrapped = GlossaryTranslator(translator, glossary)
    scored = wrapped.generate_scored(sentences)
    for zh, out in zip(sentences, scored, strict=True):
        for term, english in glossary.items():
            if term in zh:
                assert english in out.text
        assert out.mean_logprob < 0
    # Random weights do not copy placeholders: every sentence took the fallback.
    assert len(wrapped.fallbacks) + len(wrapped.placeholders) == len(sentences)


def test_fingerprint_follows_the_terms() -> None:
    from workers.english.glossary import glossary_fingerprint

    a = glossary_fingerprint({"嘉兴": "Jiaxing", "南湖": "Nanhu"})
    assert a == glossary_fingerprint({"南湖": "Nanhu", "嘉兴": "Jiaxing"})
    assert a != glossary_fingerprint({"嘉兴": "Jiaxing City", "南湖": "Nanhu"})
    assert len(a) == 16


def test_command_line_takes_a_tsv_glossary_and_names_a_bad_line(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    newsum = str(Path(sys.executable).parent / "newsum")
    env = {**os.environ, "NEWSUM_MODEL_DIR": str(tmp_path / "models")}
    good, bad = tmp_path / "good.tsv", tmp_path / "bad.tsv"
    good.write_text("嘉兴\tJiaxing City\n", encoding="utf-8")
    bad.write_text("嘉兴 Jiaxing\n", encoding="utf-8")
    run = subprocess.run(
        [newsum, "summarize", str(SEED_ARTICLE), "--glossary", str(good)],
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    terms = {t["zh"]: t["en"] for t in json.loads(run.stdout)["key_terms"]}
    assert terms["嘉兴"] == "Jiaxing City"
    run = subprocess.run(
        [newsum, "summarize", str(SEED_ARTICLE), "--glossary", str(bad)],
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
        check=False,
    )
    assert run.returncode == 2
    assert "line 1: expected 'zh<TAB>en'" in run.stderr
