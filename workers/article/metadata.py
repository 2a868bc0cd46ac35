"""Article metadata from Chinese news text: dates, bylines (作者/记者/编辑/来源), titles.

Pure functions over strings, shared by the HTML extractor and the scraped-text
cleaner. Chinese bylines come in many shapes; the ones handled here::

    2020/01/09 来源:嘉兴日报 作者:裘建锋        date, outlet, author on one line
    （记者 裴剑飞）  记者：张三 李四             reporters, also inside parentheses
    文/王文   撰文︱春春   作者︱春春            writers
    （编辑：严玉洁 王辉）  【责任编辑:张樵苏】  责编：X   editors
    责任编辑：杨倩_NBJ11279                   staff codes after the name are dropped
    图片来源：视觉中国  新华社记者 李贺 摄     image credits (``photo_credits``), not authors

A credited name counts only if it looks like a person: outlet names (参考消息, 新浪科技),
placeholders (整合, 网络整理, 编辑部) and staff codes are dropped, and a Latin name written
with spaces ("John Smith") stays one name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_HAN = "\u4e00-\u9fff"
# A person's name as bylines print it: 2–4 Han characters (minority names joined by ·),
# or a Latin name of up to three words.
_NAME = re.compile(
    rf"^(?:[{_HAN}]{{2,4}}|[{_HAN}]{{1,6}}(?:[·•][{_HAN}]{{1,8}})+"
    r"|[A-Z][a-zA-Z.\-]+(?: [A-Z][a-zA-Z.\-]+){0,2})$"
)
# Words that follow a role marker, or fill an author field, but are not people: the
# role words themselves (记者17日从…, 作者简介), and the placeholders Chinese sites print
# where no person is credited — 佚名/未知/暂无/不详 (anonymous, unknown), 本报/本网/本台/本站
# (this paper/site/station), 综合/整合/整理/网络整理/编译 (compiled, edited from the web: the
# issue-13 pages credited 整合 and 网络整理), 编辑部 (the desk), 网友/小编/管理员/admin.
_NOT_NAMES = {
    "未知",
    "佚名",
    "暂无",
    "不详",
    "匿名",
    "本报",
    "本网",
    "本台",
    "本站",
    "本刊",
    "网友",
    "网络",
    "小编",
    "记者",
    "编辑",
    "作者",
    "通讯员",
    "综合",
    "整合",
    "报道",
    "简介",
    "来源",
    "实习",
    "见习",
    "首席",
    "特约",
    "搜索",
    "整理",
    "编译",
    "责任",
    "原创",
    "转载",
    "管理员",
    "编辑部",
    "网络整理",
}
# A name containing one of these is a desk or a compiling note, not a person (本报综合,
# 综合整理, 网络整理, 新闻编辑部); the same placeholder vocabulary as above.
_NOT_NAME_PART = re.compile(r"整理|整合|综合|编译|转载|原创|编辑部|本报|本网|本站|网友|小编|网络")
# Outlets, channels and organisations in author fields (meta author "网易", 作者：新华网,
# 参考消息, 新浪科技). The endings are those of Chinese media names — 网 (sites), 报/日报/
# 时报/晚报 (papers), 社 (agencies), 台/电视台/频道/视频 (broadcasters, 梨视频), 刊/周刊/
# 杂志 (magazines), 号 (WeChat/toutiao accounts), 科技/财经/讯/消息/新闻/头条/在线/观察
# (portal channels and wires: 新浪科技, 网易财经, 参考消息, 商讯) — and of organisations
# (集团, 公司, 中心, 协会, 学会, 研究院, 委员会, 办公室, 政府, 工作室, 传媒). Every outlet
# that a page of ../shared/data names in a 来源 line ends so (tests/article/test_page_credits).
_ORG_NAME = re.compile(
    r"(?:网|报|社|台|刊|号|讯|网易|新闻|传媒|集团|中心|工作室|公司|科技|财经|消息|头条|在线"
    r"|观察|频道|视频|杂志|协会|学会|研究院|研究所|委员会|办公室|政府)$"
)
# Latin outlet names: acronyms (AFP, CNN, CGTN) and names ending like a publication.
_LATIN_ACRONYM = re.compile(r"^[A-Z0-9&]{2,6}$")
_LATIN_ORG = re.compile(
    r"\b(?:News|Daily|Times|Post|Press|Media|Network|Agency|Magazine|Weekly|Online|Inc|Ltd"
    r"|Group)\.?$|\.(?:com|cn|net|org)$",
    re.IGNORECASE,
)

_SEP = r"[:：︱｜|/／]"
_ROLE_AUTHOR = r"(?:作者|记者|通讯员|撰文|执笔|文字|采写|文)"
_ROLE_EDITOR = r"(?:责任编辑|责编|编辑|主编)"
_ROLE_OTHER = (
    r"(?:来源|出处|摄影|摄|图|实习生|校对|审核|监制|制图|出品"
    r"|发布时间|时间|标签|关键词|字号|浏览|阅读)"
)
_ANY_ROLE = rf"(?:{_ROLE_EDITOR}|{_ROLE_AUTHOR}|{_ROLE_OTHER})"

# "作者:裘建锋", "记者 裴剑飞", "文/王文", "责任编辑：张樵苏 】": role, optional separator, names.
# Names run until the next role marker, a bracket or sentence punctuation.
_ROLE_NAMES = re.compile(
    rf"(?P<role>{_ROLE_EDITOR}|{_ROLE_AUTHOR})\s*(?P<sep>{_SEP}|\s)\s*"
    rf"(?P<names>(?!{_ANY_ROLE})[^\n:：︱｜|/／()（）【】\[\]<>《》，。；;！？!?]{{1,40}}?)"
    rf"(?=\s*(?:{_ANY_ROLE}\s*{_SEP}|[()（）【】\[\]，。；;！？!?]|$)|\s+{_ANY_ROLE}\s)"
)
# "（记者裴剑飞）": the reporter credit inside parentheses, with no separator.
_PAREN_REPORTER = re.compile(
    rf"[(（【\[]\s*(?:{_ROLE_AUTHOR}|{_ROLE_EDITOR})\s*(?P<names>[{_HAN}·]{{2,4}}(?:[\s、,，][{_HAN}·]{{2,4}})*)\s*[)）】\]]"
)
_OUTLET = re.compile(
    rf"(?:来源|出处|稿源)\s*{_SEP}?\s*(?P<outlet>[^\s:：|｜()（）【】\[\]，。；;]{{2,30}}?)"
    rf"(?=\s|$|[()（）【】\[\]，。；;|｜]|{_ANY_ROLE}\s*{_SEP})"
)

# Image credits, read before the article's credits so that neither the photographer nor
# the picture agency becomes an author or the outlet. The markers are those Chinese
# captions use: 图片来源/图片来自/图源/图片/配图/题图/插图 (picture from), 摄影/摄/图 with a
# separator (photo by), "新华社记者 李贺 摄" (… photographed), "视觉中国供图" (supplied).
_PHOTO_LEAD = re.compile(
    r"(?:(?:图片来源|图片来自|图片提供|图片|图源|配图|题图|插图|摄影)\s*(?:" + _SEP + r"|\s)"
    r"|(?<![\u4e00-\u9fff])(?:摄|图)\s*" + _SEP + r")\s*"
    r"(?P<names>[^\n:：︱｜|/／()（）【】\[\]<>《》，。；;！？!?]{1,40}?)"
    rf"(?=\s*(?:{_ANY_ROLE}\s*{_SEP}|[()（）【】\[\]，。；;！？!?]|$)|\s+{_ANY_ROLE}\s)"
)
_PHOTO_BY = re.compile(
    rf"(?:^|(?<=[\s(（【\[:：/／|｜]))(?P<names>[{_HAN}A-Za-z·.]{{1,14}}"
    rf"(?:[ 、,，][{_HAN}A-Za-z·.]{{1,14}}){{0,3}}?)\s*[/／]?\s*(?<!拍)摄(?:影)?"
    r"(?=\s*$|\s*[()（）【】\[\]，。；;|｜]|\s+\S)"
)
_PHOTO_SUPPLIED = re.compile(r"(?P<names>[^\s:：|｜()（）【】\[\]，。；;/／]{2,12}?)\s*供图")
# Picture agencies credited under news photos; a "来源" naming one is an image credit. Named
# in issue 13 (视觉中国) and on the pages of ../shared/data (摄图网, "图片来源：摄图网"); the
# others are the main Chinese stock-photo libraries.
_PHOTO_AGENCY = re.compile(
    r"^(?:视觉中国|东方IC|图虫创意|图虫|摄图网|全景网|千图网|包图网|站酷海洛|Getty\s*Images|IC\s*photo|VCG)$",
    re.IGNORECASE,
)
# A credit that names no one: the picture is "from the web" or "file photo".
_NO_CREDIT = {
    "网络",
    "网络图片",
    "来自网络",
    "互联网",
    "资料",
    "资料图",
    "资料图片",
    "图片",
    "网图",
}
# What a "来源" line gives when it names no outlet: the web, this site, compiled (the same
# placeholder vocabulary as ``_NOT_NAMES``).
_NOT_OUTLETS = {
    "网络",
    "互联网",
    "网络整理",
    "本站",
    "本站原创",
    "原创",
    "综合",
    "整合",
    "网友",
    "未知",
    "不详",
    "转载",
    "暂无",
}

_DATE_PATTERNS = (
    re.compile(
        r"(?<!\d)(?P<y>(?:19|20)\d{2})\s*(?:[-/.]|年)\s*(?P<m>\d{1,2})\s*(?:[-/.]|月)\s*"
        r"(?P<d>\d{1,2})(?!\d)\s*日?"
    ),
    re.compile(r"(?<!\d)(?P<y>(?:19|20)\d{2})(?P<m>\d{2})(?P<d>\d{2})(?!\d)"),
)


@dataclass
class Byline:
    """What one byline line says."""

    published: str | None = None
    outlet: str | None = None
    authors: list[str] = field(default_factory=list)
    editors: list[str] = field(default_factory=list)
    photo_credits: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (
            self.published or self.outlet or self.authors or self.editors or self.photo_credits
        )


def normalize_date(text: str) -> str | None:
    """The first calendar date in ``text`` as ISO ``YYYY-MM-DD``, or ``None``.

    Reads 2020/01/09, 2020-1-9 12:00, 2020.01.09, 2020年1月9日, 20200109 and ISO
    timestamps; impossible dates (month 13, day 32) are skipped.
    """
    for pattern in _DATE_PATTERNS:
        for match in pattern.finditer(text):
            year, month, day = int(match["y"]), int(match["m"]), int(match["d"])
            if 1 <= month <= 12 and 1 <= day <= 31:
                return f"{year:04d}-{month:02d}-{day:02d}"
    return None


def clean_name(raw: str) -> str | None:
    """One credited name, cleaned, or ``None`` when it is not a person's name.

    Drops staff codes (杨倩_NBJ11279), trailing brackets and role words; outlet names
    (新浪科技, 参考消息, AFP) and placeholders (整合, 网络整理, 编辑部) are not people.
    """
    name = raw.strip().strip("】]）)[【（(<>").strip()
    name = re.split(r"[_＿]", name, maxsplit=1)[0].strip()
    # "本报记者", "南都记者", "新京报记者 X": the outlet and role before the name.
    name = re.sub(r"^.{0,6}?(?:记者|通讯员|实习生)", "", name).strip()
    if not name or name in _NOT_NAMES or _NOT_NAME_PART.search(name) or not _NAME.match(name):
        return None
    # Each part of a ·-joined name too: "澎湃新闻·澎湃号·政务" is a channel, not a person.
    if any(_ORG_NAME.search(part) for part in re.split(r"[·•]", name)):
        return None
    if _LATIN_ACRONYM.match(name) or _LATIN_ORG.search(name):
        return None
    return name


_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z.'\-]*")


def name_parts(raw: str) -> list[str]:
    """The names one credit lists, uncleaned: split at 、 , ， ; & and "and", and at spaces
    between Chinese names ("张三 李四" is two people) but not inside a Latin name ("John
    Smith" is one)."""
    parts: list[str] = []
    for chunk in re.split(r"[、,，;；&＆]+|\s+and\s+", raw.strip()):
        latin: list[str] = []
        for token in chunk.split():
            if _LATIN_WORD.fullmatch(token):
                latin.append(token)
                continue
            if latin:
                parts.append(" ".join(latin))
                latin = []
            parts.append(token)
        if latin:
            parts.append(" ".join(latin))
    return parts


def split_names(raw: str) -> list[str]:
    """Names listed in one credit (separated by spaces, 、 , ， or &), cleaned.

    The list ends at the next role word ("编辑 刘晓阳 校对 李铭" names one editor).
    """
    names: list[str] = []
    for part in name_parts(raw):
        if re.fullmatch(rf"{_ANY_ROLE}|通讯员|实习生|校对|审核|主编|监制|统筹", part):
            break
        name = clean_name(part)
        if name and name not in names:
            names.append(name)
    return names


def photo_credit_names(raw: str) -> list[str]:
    """Who an image credit names: people or picture agencies ("新华社记者 李贺" → 李贺,
    "视觉中国" stays); "网络" and "资料图" name no one."""
    raw = re.sub(r"^.{0,8}?(?:摄影记者|摄影师|记者|通讯员|特约摄影)\s*", "", raw.strip())
    credits: list[str] = []
    for part in name_parts(raw):
        part = re.split(r"[_＿]", part.strip("】]）)[【（(<>"), maxsplit=1)[0].strip()
        if not part or part in _NO_CREDIT or part in _NOT_NAMES or len(part) > 20:
            continue
        if part not in credits:
            credits.append(part)
    return credits


def is_photo_agency(name: str) -> bool:
    """True for a picture agency's name (视觉中国, 摄图网): an image credit, not an outlet."""
    return bool(_PHOTO_AGENCY.match(name.strip()))


def _take_photo_credits(line: str) -> tuple[list[str], str]:
    """The image credits in ``line`` and the line with them blanked out."""
    credits: list[str] = []
    for pattern in (_PHOTO_LEAD, _PHOTO_BY, _PHOTO_SUPPLIED):
        for match in list(pattern.finditer(line)):
            credits.extend(c for c in photo_credit_names(match["names"]) if c not in credits)
            line = line[: match.start()] + " " * (match.end() - match.start()) + line[match.end() :]
    return credits, line


def parse_byline(line: str) -> Byline:
    """Date, outlet, authors and editors named in one line of text.

    Only explicit role markers count: 作者/记者/文/撰文 give authors, 编辑/责任编辑/责编
    give editors, 来源 gives the outlet. "记者17日从…" names nobody.
    """
    photo_credits, line = _take_photo_credits(line)
    byline = Byline(published=normalize_date(line), photo_credits=photo_credits)
    outlet = _OUTLET.search(line)
    if outlet:
        name = outlet["outlet"].strip()
        if _PHOTO_AGENCY.match(name):
            # "来源：视觉中国" under a picture: the agency made the picture, not the article.
            byline.photo_credits.append(name)
        elif name not in _NOT_OUTLETS:
            byline.outlet = name
    for match in _ROLE_NAMES.finditer(line):
        role = match["role"]
        names = split_names(match["names"])
        # "文" alone is a credit only with a separator (文/王文): "中文 English" is not one.
        if match["sep"].isspace() and (not names or role == "文"):
            continue
        target = byline.editors if re.fullmatch(_ROLE_EDITOR, role) else byline.authors
        target.extend(n for n in names if n not in target)
    for match in _PAREN_REPORTER.finditer(line):
        role_text = match.group(0)
        target = byline.editors if re.search(_ROLE_EDITOR, role_text) else byline.authors
        target.extend(n for n in split_names(match["names"]) if n not in target)
    return byline


_BRACKETED = re.compile(r"[(（【\[]([^()（）【】\[\]]{2,40})[)）】\]]")


def parse_inline_credits(text: str) -> Byline:
    """Credits set in brackets inside running text: "新京报快讯（记者 裴剑飞）今日…".

    Unbracketed role words in a sentence ("该报记者 张三说") are not read: in prose
    they are too often followed by a verb rather than a name.
    """
    found = Byline()
    for match in _BRACKETED.finditer(text):
        inner = match.group(1)
        if not re.search(rf"{_ROLE_EDITOR}|{_ROLE_AUTHOR}|摄|供图|图片|图源|图\s*{_SEP}", inner):
            continue
        byline = parse_byline(match.group(0))
        found.authors.extend(a for a in byline.authors if a not in found.authors)
        found.editors.extend(e for e in byline.editors if e not in found.editors)
        found.photo_credits.extend(c for c in byline.photo_credits if c not in found.photo_credits)
    return found


_BYLINE_LINE = re.compile(
    rf"^[\s(（【\[]*(?:{_ROLE_EDITOR}|{_ROLE_AUTHOR}|来源|出处|稿源|发布时间|时间|标签)\s*{_SEP}"
)


def is_byline_line(line: str) -> bool:
    """True for a short line that is only credits/date/source (to be moved out of the body).

    A sentence that mentions a reporter ("新京报快讯（记者 裴剑飞）今日…") is not one.
    """
    text = line.strip()
    if not text or len(text) > 80 or re.search(r"[。！？!?]", text):
        return False
    if _BYLINE_LINE.match(text) and len(text) <= 40:
        # "（责任编辑： HN666）": a credit line even when the name is a staff code.
        return True
    byline = parse_byline(text)
    if byline.empty:
        return False
    # What is left after removing the credits, dates and markers must be tiny.
    rest = re.sub(_ROLE_NAMES, "", _take_photo_credits(text)[1])
    rest = re.sub(_OUTLET, "", rest)
    rest = re.sub(r"(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?", "", rest)
    rest = re.sub(r"\d{1,2}:\d{2}(?::\d{2})?", "", rest)
    rest = re.sub(r"[\s()（）【】\[\]|｜:：︱/]", "", rest)
    return len(rest) <= 6


def merge_people(*groups: list[str]) -> list[str]:
    """Union of name lists, first-seen order, dropping names contained in a longer one."""
    merged: list[str] = []
    for group in groups:
        for name in group:
            if name not in merged:
                merged.append(name)
    return [n for n in merged if not any(n != other and n in other for other in merged)]
