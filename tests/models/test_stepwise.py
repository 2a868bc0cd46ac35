"""models.stepwise: one article's model calls made alone, or many articles' joined."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from models.chunking import map_reduce_steps, map_reduce_summary
from models.stepwise import GenerateCall, Steps, run_steps, run_together


class RecordingSummarizer:
    """A stand-in summarizer: the first words of each input; records every call."""

    model_id = "test/recording-summarizer"
    revision: str | None = None
    engine_name = "recording"

    def __init__(self, window: int = 60, refuse: str | None = None) -> None:
        self.max_input_tokens = window
        self.refuse = refuse
        self.calls: list[tuple[list[str], int | None]] = []

    def count_tokens(self, text: str) -> int:
        return len(text.split()) + 1

    def generate(self, texts: Sequence[str], *, max_new_tokens: int | None = None) -> list[str]:
        self.calls.append((list(texts), max_new_tokens))
        if self.refuse is not None and any(self.refuse in t for t in texts):
            raise ValueError(f"input holds {self.refuse!r}")
        return [" ".join(t.split()[:5]) for t in texts]


def article(seed: int, sentences: int) -> list[str]:
    return [f"Story {seed} sentence {i} says the council met and agreed." for i in range(sentences)]


ARTICLES = [article(1, 3), article(2, 30), article(3, 12)]


def test_run_steps_gives_what_direct_calls_give() -> None:
    alone = RecordingSummarizer()
    stepwise = run_steps(map_reduce_steps(ARTICLES[1], alone))
    assert stepwise[1] > 1  # several map chunks, then a reduce
    assert stepwise[0]
    assert map_reduce_summary(ARTICLES[1], RecordingSummarizer()) == stepwise


def test_many_articles_share_each_round_of_calls_and_get_their_own_results() -> None:
    expected = [map_reduce_summary(a, RecordingSummarizer()) for a in ARTICLES]
    model = RecordingSummarizer()
    results = run_together([map_reduce_steps(a, model) for a in ARTICLES])
    assert results == expected
    # Round one: every article's map chunks in one call.
    first_texts, _ = model.calls[0]
    assert all(any(f"Story {n} " in t for t in first_texts) for n in (1, 2, 3))
    per_article = [len(_calls_of(a)) for a in ARTICLES]
    assert len(model.calls) == max(per_article) < sum(per_article)


def _calls_of(sentences: list[str]) -> list[tuple[list[str], int | None]]:
    model = RecordingSummarizer()
    map_reduce_summary(sentences, model)
    return model.calls


def test_calls_with_other_caps_or_models_are_not_joined() -> None:
    first, second = RecordingSummarizer(), RecordingSummarizer()

    def one_call(model: RecordingSummarizer, cap: int | None, text: str) -> Steps[str]:
        outputs = yield GenerateCall(model, [text], cap)
        return outputs[0]

    results = run_together(
        [
            one_call(first, None, "a b c"),
            one_call(first, 8, "d e f"),
            one_call(second, None, "g h i"),
            one_call(first, None, "j k l"),
        ]
    )
    assert results == ["a b c", "d e f", "g h i", "j k l"]
    assert sorted(first.calls) == sorted([(["a b c", "j k l"], None), (["d e f"], 8)])
    assert second.calls == [(["g h i"], None)]


def test_an_article_that_raises_gets_its_exception_and_the_others_finish() -> None:
    def broken() -> Steps[tuple[str, int]]:
        yield from map_reduce_steps(ARTICLES[0], model)
        raise LookupError("this article's own code failed")

    model = RecordingSummarizer()
    results = run_together([map_reduce_steps(ARTICLES[1], model), broken(), iter_empty()])
    assert results[0] == map_reduce_summary(ARTICLES[1], RecordingSummarizer())
    assert isinstance(results[1], LookupError)
    assert isinstance(results[2], ValueError)  # nothing to summarize


def iter_empty() -> Steps[tuple[str, int]]:
    return map_reduce_steps(["  "], RecordingSummarizer())


def test_a_joined_call_that_fails_is_made_again_article_by_article() -> None:
    model = RecordingSummarizer(refuse="poison")
    poisoned = ["Story 9 carries poison in its only sentence."]
    results = run_together([map_reduce_steps(a, model) for a in (ARTICLES[0], poisoned)])
    assert results[0] == map_reduce_summary(ARTICLES[0], RecordingSummarizer())
    assert isinstance(results[1], ValueError) and "poison" in str(results[1])
    # The joined call, then each article's own.
    assert [len(texts) for texts, _ in model.calls] == [2, 1, 1]


def test_run_steps_throws_a_failed_call_into_the_steps() -> None:
    model = RecordingSummarizer(refuse="poison")

    def recovering() -> Steps[str]:
        try:
            yield GenerateCall(model, ["poison here"])
        except ValueError:
            outputs = yield GenerateCall(model, ["a safe input instead"])
            return outputs[0]
        return "unreachable"

    assert run_steps(recovering()) == "a safe input instead"
    with pytest.raises(ValueError, match="poison"):
        run_steps(map_reduce_steps(["poison."], model))


def test_stop_on_ends_the_whole_run() -> None:
    class Stop(Exception):
        pass

    class Stopping(RecordingSummarizer):
        def generate(self, texts: Sequence[str], *, max_new_tokens: int | None = None) -> list[str]:
            raise Stop("time is up")

    model = Stopping()
    with pytest.raises(Stop):
        run_together([map_reduce_steps(a, model) for a in ARTICLES], stop_on=(Stop,))
    # Without it, the same failure is each article's own result.
    results = run_together([map_reduce_steps(a, model) for a in ARTICLES])
    assert all(isinstance(r, Stop) for r in results)


def test_a_model_that_returns_too_few_outputs_is_an_error() -> None:
    class Short(RecordingSummarizer):
        def generate(self, texts: Sequence[str], *, max_new_tokens: int | None = None) -> list[str]:
            return ["only one"]

    with pytest.raises(RuntimeError, match="returned 1 outputs for 2 inputs"):
        run_steps(_two_inputs(Short()))


def _two_inputs(model: RecordingSummarizer) -> Steps[list[str]]:
    outputs = yield GenerateCall(model, ["first", "second"])
    return outputs
