"""Paragraphs and sentences of a Chinese article.

A regex, not a sentence-boundary model: pysbd moves a closing ” into the next
sentence. The rules:

* a sentence ends at 。！？!?；; (a run of them counts once), at an ellipsis
  (…… or ...) that ends the paragraph or is followed by a closing quote, and at
  a line break;
* closing quotes and brackets (” ’ 」 』 ） ) 】 》 " ') after the end mark stay
  with the sentence they close;
* an ellipsis inside a sentence ("做好规定动作、彰显地方特色……在省委……") does not
  end it: in news it mostly closes a list, and splitting there leaves fragments;
* a sentence longer than ``max_chars`` is cut at the last comma before the
  limit (then 、, then a space, then anywhere), so none exceeds it.

Nothing but whitespace at sentence boundaries is ever dropped: joining the
sentences gives back the text minus that whitespace.
"""

from __future__ import annotations

import re

DEFAULT_MAX_CHARS = 300

_CLOSERS = "”’」』）)】〕》〉\"'"
_SENTENCE_END = re.compile(
    rf"""(?:
        [。！？!?；;]+                      # full stop, exclamation, question, semicolon
        |(?:…+|\.{{3,}})(?=\s|$|[{_CLOSERS}])  # ellipsis, only where the sentence really ends
    )[{_CLOSERS}]*""",
    re.VERBOSE,
)
_LINE_BREAK = re.compile(r"\s*\n\s*")
# Where an over-long sentence may be cut, best first.
_SOFT_BREAKS = ("，,：:", "、", " \u3000\t")


def split_paragraphs(text: str) -> list[str]:
    """Non-empty lines of ``text``, stripped (full-width spaces too).

    Chinese news puts one paragraph on one line; blank lines between them are
    optional, so every line break ends a paragraph.
    """
    return [line.strip() for line in text.splitlines() if line.strip()]


def _cut_long(sentence: str, max_chars: int) -> list[str]:
    pieces: list[str] = []
    rest = sentence
    while len(rest) > max_chars:
        window = rest[:max_chars]
        cut = 0
        for marks in _SOFT_BREAKS:
            cut = max(window.rfind(m) for m in marks) + 1
            # A break in the first fifth would leave a stub; look for a later one.
            if cut > max_chars // 5:
                break
        if cut <= max_chars // 5:
            cut = max_chars
        head, rest = rest[:cut].rstrip(), rest[cut:].lstrip()
        if head:
            pieces.append(head)
    if rest:
        pieces.append(rest)
    return pieces


def _closing_end(line: str, start: int, end: int) -> int:
    """Give back straight quotes after an end mark that open the next sentence.

    Curly quotes say which way they face; a straight " or ' after the end
    mark closes this sentence only if one was opened in it (an odd number
    before it).
    """
    while (
        end > start
        and line[end - 1] in "\"'"
        and line[start : end - 1].count(line[end - 1]) % 2 == 0
    ):
        end -= 1
    return end


def split_sentences(text: str, max_chars: int = DEFAULT_MAX_CHARS) -> list[str]:
    """Sentences of ``text`` in order, closing quotes and brackets kept with their sentence.

    No sentence is longer than ``max_chars``; whitespace at sentence
    boundaries is the only thing dropped.
    """
    if max_chars < 1:
        raise ValueError(f"max_chars must be at least 1 (got {max_chars})")
    sentences: list[str] = []
    for line in _LINE_BREAK.split(text):
        start = 0
        for match in _SENTENCE_END.finditer(line):
            end = _closing_end(line, start, match.end())
            piece = line[start:end].strip()
            if piece:
                sentences.extend(_cut_long(piece, max_chars))
            start = end
        tail = line[start:].strip()
        if tail:
            sentences.extend(_cut_long(tail, max_chars))
    return sentences


def article_sentences(text: str, max_chars: int = DEFAULT_MAX_CHARS) -> list[str]:
    """All sentences of an article, paragraph by paragraph, in order.

    A short line without an end mark (a headline, a section title) is a
    sentence of its own; extractive ranking decides whether it is worth using.
    """
    sentences: list[str] = []
    for paragraph in split_paragraphs(text):
        sentences.extend(split_sentences(paragraph, max_chars))
    return sentences
