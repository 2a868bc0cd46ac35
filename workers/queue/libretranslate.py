"""LibreTranslate's ``/translate`` on a worker: plain text or HTML to English."""

from __future__ import annotations

import re

from workers.article.segment import split_sentences
from workers.english.engines import Engines
from workers.english.translate import translate_sentences

_HTML_TAG = re.compile(r"(<[^>]+>)")
_HAN = re.compile(r"[\u3400-\u9fff]")


def translate_texts(texts: list[str], fmt: str, engines: Engines) -> list[str]:
    """Each text (plain or HTML) to English, one batch for all: markup is kept as it
    is, Chinese runs are cut into sentences and translated together."""
    plans: list[list[str | list[int]]] = []
    sentences: list[str] = []
    for text in texts:
        parts = _HTML_TAG.split(text) if fmt == "html" else [text]
        plan: list[str | list[int]] = []
        for part in parts:
            if (fmt == "html" and part.startswith("<")) or not _HAN.search(part):
                plan.append(part)
                continue
            pieces = split_sentences(part) or [part]
            plan.append(list(range(len(sentences), len(sentences) + len(pieces))))
            sentences.extend(pieces)
        plans.append(plan)
    english = translate_sentences(sentences, engines) if sentences else []
    out = []
    for plan in plans:
        pieces_out = [p if isinstance(p, str) else " ".join(english[i] for i in p) for p in plan]
        out.append("".join(pieces_out))
    return out
