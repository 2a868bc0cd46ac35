"""Model calls as steps, so that one driver can make many articles' calls at once.

A summary of one article needs the summarizer a few times (map-reduce: each
chunk, then the partial summaries). Made one article at a time, each call holds
a few inputs: on a CPU the summarizer then decodes one or two long inputs while
cores sit idle, and on a GPU the batch is nearly empty. Written as a generator
that *yields* each ``GenerateCall`` and is *sent* the outputs, the same code
runs two ways:

- ``run_steps``: alone, each call made as it comes (a reader's article);
- ``run_together``: many articles in lockstep (a chunk of a newsroom batch):
  every article is advanced to its next call, the calls to the same model with
  the same cap are joined into one ``generate`` and the outputs handed back.

The outputs are the ones each article would get alone: the same inputs, the
same engine settings, only batched with others (engines sort inputs by length
inside). An article whose code raises gets its exception as its result; the
others go on. A joined call that raises is made again one article at a time,
so that a bad input fails its own article only.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import dataclass
from typing import TypeVar, cast

from models.engines.base import TextGenerator

T = TypeVar("T")


@dataclass(frozen=True)
class GenerateCall:
    """One ``generate`` that a stepwise computation needs made for it."""

    generator: TextGenerator
    texts: list[str]
    max_new_tokens: int | None = None


# Yields calls, is sent each call's outputs (one per text, in order), returns T.
Steps = Generator[GenerateCall, list[str], T]


def run_steps(steps: Steps[T]) -> T:
    """Drive one stepwise computation alone; its result, or its exception raised."""
    try:
        call = next(steps)
        while True:
            try:
                outputs = _generate(call)
            except Exception as exc:
                call = steps.throw(exc)
            else:
                call = steps.send(outputs)
    except StopIteration as done:
        return done.value


def run_together(
    all_steps: Sequence[Steps[T]], *, stop_on: tuple[type[BaseException], ...] = ()
) -> list[T | Exception]:
    """Drive many stepwise computations in lockstep; each one's result or exception.

    ``stop_on``: exceptions that end the whole run at once, raised to the caller
    (a worker's time limit), never kept as one article's result.
    """
    results: list[T | Exception | None] = [None] * len(all_steps)
    pending: dict[int, GenerateCall] = {}  # each unfinished article's next call

    def advance(index: int, outputs: list[str] | Exception | None) -> None:
        steps = all_steps[index]
        try:
            if outputs is None:
                pending[index] = next(steps)
            elif isinstance(outputs, Exception):
                pending[index] = steps.throw(outputs)
            else:
                pending[index] = steps.send(outputs)
        except StopIteration as done:
            pending.pop(index, None)
            results[index] = done.value
        except stop_on:
            raise
        except Exception as exc:
            pending.pop(index, None)
            results[index] = exc

    for index in range(len(all_steps)):
        advance(index, None)
    while pending:
        for members in _joinable(pending):
            calls = [pending[i] for i in members]
            try:
                joined = _generate(
                    GenerateCall(
                        calls[0].generator,
                        [text for call in calls for text in call.texts],
                        calls[0].max_new_tokens,
                    )
                )
            except stop_on:
                raise
            except Exception:
                # One bad input must not fail the others: each article's call alone.
                for index, call in zip(members, calls, strict=True):
                    advance(index, _alone(call, stop_on))
                continue
            start = 0
            for index, call in zip(members, calls, strict=True):
                advance(index, joined[start : start + len(call.texts)])
                start += len(call.texts)
    # Every article ended: with its StopIteration's value or with its exception.
    return cast("list[T | Exception]", results)


def _joinable(pending: dict[int, GenerateCall]) -> list[list[int]]:
    """The pending articles grouped by the call they wait on: same model, same cap."""
    groups: dict[tuple[int, int | None], list[int]] = {}
    for index, call in pending.items():
        groups.setdefault((id(call.generator), call.max_new_tokens), []).append(index)
    return list(groups.values())


def _alone(call: GenerateCall, stop_on: tuple[type[BaseException], ...]) -> list[str] | Exception:
    try:
        return _generate(call)
    except stop_on:
        raise
    except Exception as exc:
        return exc


def _generate(call: GenerateCall) -> list[str]:
    outputs = list(call.generator.generate(call.texts, max_new_tokens=call.max_new_tokens))
    if len(outputs) != len(call.texts):
        got, wanted = len(outputs), len(call.texts)
        raise RuntimeError(f"{call.generator.model_id} returned {got} outputs for {wanted} inputs")
    return outputs
