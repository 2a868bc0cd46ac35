"""Sentences a news brief should not open with: captions, credits, datelines, hooks.

A news article's lead sentence is the best single summary of it, except when
the "first sentence" is not the lead at all: a photo caption left in the text,
a credit line ("原标题：…", "摄影：…"), a bare dateline ("新华社北京2月29日电"),
or a hook (a question, or a one-line teaser that shares nothing with the
headline). These rules find them; ``models.engines.extractive`` skips them
when it anchors the brief on the lead.

Where the markers come from: the conventions of Chinese news pages, as seen on
the pages of ../shared/data (photo credits 视觉中国 / 摄 / 供图 / 视频截图 / ▲
on thepaper, 163, shanxi and youth pages; 原标题 on 163 and sina; 原创： on
sina; 摄影： on WeChat) and the standard datelines of the state agencies and
papers (新华社, 中新社, 中新网, 人民网, 本报, …电 / …讯).
"""

from __future__ import annotations

import re

# A caption: "图为…", "图：…", "（图/…）", a picture credit anywhere in a short line.
_CAPTION_START = re.compile(r"^[（(【\[]?\s*(?:图为|图：|图:|图/|图片：|图片:|图注|资料图|▲|△|↑)")
_PICTURE_CREDIT = re.compile(
    r"视觉中国|资料图|供图|图片来源|图片来自|视频截图|网络截图|截图自|摄影[：:／/]|"
    r"[（(][^（）()]{1,12}摄[）)]|新华社发|IC\s*photo|东方IC|图虫"
)
# A credit closing a caption line: "…。视频截图", "（刘通摄）", "…新华社发".
_TRAILING_CREDIT = re.compile(
    r"(?:视觉中国(?:\s*资料)?|资料图|供图|视频截图|网络截图|新华社发|[（(][^（）()]{1,12}摄[）)]|"
    r"[\s　]摄)\W*$"
)
# A credit or editor's line: where the text came from, not what happened.
_CREDIT_START = re.compile(
    r"^[（(【\[]?\s*(?:(?:本文)?(?:原标题|原文标题|原题目?)|原创|来源|作者|编辑|责编|责任编辑|摄影|"
    r"转自|转载自?)\s*[：:]|^[（(【\[]?\s*(?:(?:本文)?原(?:标)?题为|文/|文｜|文\||"
    r"点击(?:进入|查看|阅读|关注))"
)
# A bare dateline: agency or paper, place and date, 电/讯, maybe the reporter.
_DATELINE = re.compile(
    r"^[【\[（(]?\s*(?:新华社|中新社|中新网|人民网|央视网|新京报|澎湃新闻|本报|本刊|本台)"
    r"[^。！？]{0,24}?(?:电|讯|报道)\s*[】\]）)]?\s*(?:[（(][^）)]{0,30}[）)])?\s*$"
)
_WHOLE_QUOTE = re.compile(r"^[“「『].*[。！？!?…][”」』]$")
_QUESTION = re.compile(r"[？?][”’」』）)\"']*$")
_WORD_CHAR = re.compile(r"[\w\u4e00-\u9fff]")
# A caption is a short line: longer ones that mention a credit are articles. A
# picture credit anywhere makes a line this short a caption; a longer one (up to
# CAPTION_MAX_CHARS) must end with it.
CREDIT_LINE_MAX_CHARS = 20
CAPTION_MAX_CHARS = 60


def word_chars(text: str) -> int:
    """Letters, digits and Han characters in ``text``."""
    return len(_WORD_CHAR.findall(text))


def is_caption(sentence: str) -> bool:
    """A photo caption or picture credit ("图为…", "…视觉中国 资料", "（刘通摄）")."""
    text = sentence.strip()
    if _CAPTION_START.search(text):
        return True
    chars = word_chars(text)
    if chars <= CREDIT_LINE_MAX_CHARS and _PICTURE_CREDIT.search(text):
        return True
    return chars <= CAPTION_MAX_CHARS and bool(_TRAILING_CREDIT.search(text))


def is_credit(sentence: str) -> bool:
    """A credit, source or editor's line ("原标题：…", "来源：…", "摄影：…")."""
    return bool(_CREDIT_START.search(sentence.strip()))


def is_dateline(sentence: str) -> bool:
    """A dateline with nothing after it ("新华社北京2月29日电", "本报讯（记者 王某）")."""
    return bool(_DATELINE.search(sentence.strip()))


def is_question(sentence: str) -> bool:
    """A sentence ending in a question mark: a hook, not a statement of the news."""
    return bool(_QUESTION.search(sentence.strip()))


def is_quote(sentence: str) -> bool:
    """A sentence that is all one direct quote (“…。”): a speaker's words, not the news."""
    text = sentence.strip()
    if not _WHOLE_QUOTE.match(text):
        return False
    inner = text[1:-1]
    # “A。”……“B。” is two quotes with words between them, not one.
    return not any(mark in inner for mark in "“”「」")


def is_side_sentence(sentence: str) -> bool:
    """Caption, credit or bare dateline: never the lead of a brief."""
    return is_caption(sentence) or is_credit(sentence) or is_dateline(sentence)
