"""Near-duplicate clustering: real pages, generated reposts, and a batch of thousands."""

from __future__ import annotations

import itertools
import json
import random
import time
from pathlib import Path

import pytest

from tests.paths import HTML_DIR, SEED_ARTICLE
from workers.article.prepared import PreparedArticle
from workers.article.scraped_text import clean_scraped_text
from workers.article.segment import article_sentences
from workers.batch.clustering import (
    choose_bands,
    cluster_articles,
    diff_sentences,
    group_near_duplicates,
    minhash_signatures,
    normalize_for_shingles,
)
from workers.batch.rows import ROW_FIELDS

HEADERS = ["来源：新华社", "本文转自人民网", "（记者 王五）", "原标题：", ""]
FOOTERS = ["责任编辑：张三", "【纠错】 【责任编辑：李四】", "免责声明：本文仅代表作者观点。", ""]


def _manifest() -> list[dict[str, object]]:
    lines = (HTML_DIR / "manifest.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _repost(text: str, rng: random.Random, *, drop_sentence: bool) -> str:
    """The same story as another portal prints it: its own header and footer, the
    punctuation retyped, a few characters changed, maybe one sentence cut."""
    sentences = article_sentences(text)
    if drop_sentence and len(sentences) > 20:
        del sentences[rng.randrange(1, len(sentences))]
    body = list("\n".join(sentences).replace("，", ",").replace("“", '"'))
    for _ in range(3):
        position = rng.randrange(len(body))
        if "\u4e00" <= body[position] <= "\u9fff":
            body[position] = rng.choice("的一是在不了有和人这中大为上个国")
    return "\n".join(filter(None, [rng.choice(HEADERS), "".join(body), rng.choice(FOOTERS)]))


def _pair_scores(truth: list[int], found: list[int]) -> tuple[float, float]:
    true_pairs = {
        p for p in itertools.combinations(range(len(truth)), 2) if len({truth[i] for i in p}) == 1
    }
    found_pairs = {
        p for p in itertools.combinations(range(len(found)), 2) if len({found[i] for i in p}) == 1
    }
    shared = len(true_pairs & found_pairs)
    precision = shared / len(found_pairs) if found_pairs else 1.0
    recall = shared / len(true_pairs) if true_pairs else 1.0
    return precision, recall


def test_reposts_of_real_articles_are_grouped_and_distinct_ones_are_not() -> None:
    rng = random.Random(7)
    rows = _manifest()
    gold = {r["file"]: r["gold_main_text"] for r in rows if r.get("gold_main_text")}
    stories = [
        clean_scraped_text(SEED_ARTICLE.read_text(encoding="utf-8")).text,
        gold["newspaper__chinese_article.html"],
        gold["newspaper4k__chinese_article_001.html"],
        gold["newspaper4k__chinese_article_002.html"],
        gold["readability__gmw__source.html"],
        gold["readability__youth__source.html"],
    ]
    texts: list[str] = []
    truth: list[int] = []
    for story, text in enumerate(stories):
        assert isinstance(text, str)
        texts.append(text)
        truth.append(story)
        for copy in range(2):
            texts.append(_repost(text, rng, drop_sentence=copy == 1))
            truth.append(story)
    # A real near-duplicate: the same BBC page saved twice by two projects.
    texts.append(str(gold["newspaper4k__chinese_article.html"]))
    truth.append(1)
    # Distinct stories: every page with only a silver extraction.
    for row in rows:
        silver = row.get("silver_gne_output")
        if isinstance(silver, dict) and silver.get("content") and not row.get("gold_main_text"):
            texts.append(str(silver["content"]))
            truth.append(len(stories) + len(texts))
    found = cluster_articles(texts)
    precision, recall = _pair_scores(truth, found)
    assert len(texts) >= 30
    assert precision == 1.0
    assert recall >= 0.95, (recall, list(zip(truth, found, strict=True)))


def test_ids_count_up_in_order_of_first_appearance() -> None:
    a = "市政府今天发布第五代移动通信发展规划，全市将新建基站一千二百座。" * 3
    b = "暴雨导致三条道路严重积水，交通警察已经赶到现场疏导车辆和行人。" * 3
    assert cluster_articles([b, a, b + "。", "", ""]) == [0, 1, 0, 2, 3]
    assert cluster_articles([]) == []
    with pytest.raises(ValueError, match="threshold"):
        cluster_articles([a], threshold=0)


def test_same_template_different_story_stays_apart() -> None:
    rng = random.Random(3)
    han = [chr(c) for c in range(0x4E00, 0x4E00 + 3000)]
    template = "网站首页 新闻中心 本地新闻 社会民生 " * 2
    one = template + "".join(rng.choice(han) for _ in range(400))
    two = template + "".join(rng.choice(han) for _ in range(400))
    assert cluster_articles([one, two]) == [0, 1]


def test_normalization_and_bands() -> None:
    assert normalize_for_shingles("５Ｇ 基站，ABC。") == "5g基站abc"
    bands, rows = choose_bands(0.8)
    assert bands * rows == 128
    assert (1 / bands) ** (1 / rows) < 0.8
    signatures = minhash_signatures(["甲乙丙丁戊己庚辛", "甲乙丙丁戊己庚辛", ""])
    assert (signatures[0] == signatures[1]).all()
    assert (signatures[2] == 0xFFFFFFFF).all()


def test_diff_sentences_reports_what_a_repost_adds_and_lacks() -> None:
    base = ["市政府今天发布规划。", "全市将新建基站1200座。", "规划期限为三年。"]
    repost = ["市政府今天发布规划.", "全市将新建基站1500座。", "记者 王五"]
    added, removed = diff_sentences(base, repost)
    # Punctuation alone is no change; an edited figure is one sentence out, one in.
    assert added == ["全市将新建基站1500座。", "记者 王五"]
    assert removed == ["全市将新建基站1200座。", "规划期限为三年。"]
    assert diff_sentences(base, base) == ([], [])


def test_plan_batch_summarizes_each_story_once() -> None:
    seed = clean_scraped_text(SEED_ARTICLE.read_text(encoding="utf-8")).text
    sentences = article_sentences(seed)
    repost_sentences = [*sentences[:-1], "（来源：嘉兴日报）"]
    other = "暴雨导致三条道路严重积水，交通警察已经赶到现场疏导车辆和行人。"
    items = [
        PreparedArticle(text=seed, sentences=sentences, language="zh-Hans"),
        None,
        PreparedArticle(text=other, sentences=[other], language="zh-Hans"),
        PreparedArticle(
            text="".join(repost_sentences), sentences=repost_sentences, language="zh-Hans"
        ),
    ]
    plan = group_near_duplicates(items)
    assert plan[1] is None
    first, third, fourth = plan[0], plan[2], plan[3]
    assert first is not None and third is not None and fourth is not None
    assert first.summarize and third.summarize and not fourth.summarize
    assert (first.cluster, first.size) == (fourth.cluster, 2)
    assert fourth.representative == 0 and third.size == 1
    assert fourth.added == ["（来源：嘉兴日报）"]
    assert fourth.removed == [sentences[-1]]


def test_plan_batch_joins_only_items_that_are_alike_in_what_same_names() -> None:
    seed = clean_scraped_text(SEED_ARTICLE.read_text(encoding="utf-8")).text
    copy = PreparedArticle(text=seed, sentences=article_sentences(seed), language="zh-Hans")
    # Four copies of one story: positions 0 and 2 asked for one summary, 1 and 3 another.
    plan = group_near_duplicates([copy, copy, copy, copy], same=["short", "long", "short", "long"])
    assert [a.representative if a else None for a in plan] == [0, 1, 0, 1]
    assert [a.size if a else None for a in plan] == [2, 2, 2, 2]
    assert [a.summarize if a else None for a in plan] == [True, True, False, False]
    with pytest.raises(ValueError, match="same has 1 entries for 2 items"):
        group_near_duplicates([copy, copy], same=["short"])


def generated_batch(n: int, seed: int = 11) -> tuple[list[str], list[int]]:
    """``n`` articles, a quarter of them stories of 300–900 characters drawn from the
    seed article's characters, the rest reposts of one of them (two characters
    changed, a header and a footer); with each article's true story."""
    rng = random.Random(seed)
    han = [c for c in SEED_ARTICLE.read_text(encoding="utf-8") if "\u4e00" <= c <= "\u9fff"]
    stories: list[str] = []
    texts: list[str] = []
    truth: list[int] = []
    for i in range(n):
        if i % 4 == 0:
            stories.append("".join(rng.choice(han) for _ in range(rng.randint(300, 900))))
            texts.append(stories[-1])
            truth.append(len(stories) - 1)
        else:
            story = rng.randrange(len(stories))
            chars = list(stories[story])
            for _ in range(2):
                chars[rng.randrange(len(chars))] = rng.choice(han)
            texts.append(rng.choice(HEADERS) + "".join(chars) + rng.choice(FOOTERS))
            truth.append(story)
    return texts, truth


def test_two_thousand_articles_cluster_in_seconds() -> None:
    texts, truth = generated_batch(2000)
    started = time.perf_counter()
    found = cluster_articles(texts)
    elapsed = time.perf_counter() - started
    assert elapsed < 5.0, f"{elapsed:.1f} s for 2,000 articles"
    # Same partition: each true story is exactly one found cluster, and no two share one.
    assert len(set(found)) == len(set(truth))
    assert _pair_scores(truth, found) == (1.0, 1.0)


def test_batch_command_summarizes_a_repost_once(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    seed = SEED_ARTICLE.read_text(encoding="utf-8")
    body = clean_scraped_text(seed).text
    dropped = "潮涌催人进,风正好扬帆。"  # the cleaned body's punctuation is half-width
    assert dropped in body
    repost = "来源：新华网\n" + body.replace(dropped, "") + "\n责任编辑：张三"
    other = str(_manifest()[2]["gold_main_text"])
    rows = [{"id": "seed", "text": seed}, {"id": "other", "text": other}]
    rows.append({"id": "repost", "text": repost})
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), "utf-8")
    out = tmp_path / "out.jsonl"
    env = {**os.environ, "NEWSUM_MODEL_DIR": str(tmp_path / "models")}
    done = subprocess.run(
        [str(Path(sys.executable).parent / "newsum"), "batch", str(source), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "2 stories; 1 near-duplicate(s) shared a summary" in done.stderr
    written = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    # The service's row shape (workers.batch.rows), the cluster beside the result.
    assert [list(row) for row in written] == [list(ROW_FIELDS)] * 3
    assert [row["index"] for row in written] == [0, 1, 2]
    assert [row["cluster"] for row in written] == [row["result"]["cluster"] for row in written]
    lines = [row["result"] for row in written]
    seed_result, other_result, repost_result = lines
    assert seed_result["cluster"]["size"] == 2 and other_result["cluster"] is None
    assert repost_result["cluster"]["representative_id"] == "seed"
    assert repost_result["cluster"]["id"] == seed_result["cluster"]["id"] == 0
    assert repost_result["summary"] == seed_result["summary"]
    assert repost_result["id"] != seed_result["id"]
    assert dropped in repost_result["cluster"]["removed"]
    assert seed_result["cluster"]["added"] == seed_result["cluster"]["removed"] == []
    assert any(
        "the same story as batch item seed" in w for w in repost_result["checks"]["warnings"]
    )
    # The repost keeps its own page's metadata; the summary is the seed's.
    seed_article, repost_article = seed_result["article"], repost_result["article"]
    assert (seed_article["outlet"], repost_article["outlet"]) == ("嘉兴日报", "新华网")
    assert seed_article["published"] == "2020-01-09" and repost_article["published"] is None
    assert repost_article["title"] != seed_article["title"]
    assert [e["name"] for e in repost_article["editors"]] == ["张三"]


def test_with_cluster_copies_and_never_touches_the_shared_result() -> None:
    from workers.batch.clustering import ClusterAssignment, with_cluster
    from workers.contract import Article, Provenance, Summary, SummaryResult

    original = SummaryResult(
        id="key-a",
        article=Article(language="zh-Hans", text="甲。", sentences=["甲。"]),
        summary=Summary(method="extractive"),
        provenance=Provenance(profile="offline"),
    )
    member = ClusterAssignment(index=2, cluster=0, representative=0, size=2, added=["乙。"])
    copy = with_cluster(original, member, key="key-c", ids=["a", "b", "c"])
    assert copy.id == "key-c" and copy.cluster is not None
    assert (copy.cluster.representative_id, copy.cluster.added) == ("a", ["乙。"])
    assert copy.checks.warnings == [
        "This article is the same story as batch item a and shares its summary; the "
        "sentences only one of them has are listed with the cluster "
        "(cluster.added / cluster.removed)."
    ]
    assert original.cluster is None and original.checks.warnings == []
    own = with_cluster(original, ClusterAssignment(0, 0, 0, 2), key="key-a", ids=["a", "b", "c"])
    assert own.checks.warnings == [] and own.cluster is not None and own.cluster.size == 2
