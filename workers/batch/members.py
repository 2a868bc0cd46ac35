"""A near-duplicate's own result: its story's shared summary, under its own name.

A cluster of reposts is summarized once, from its representative. Each other
member's result is a copy of that one with what belongs to the member itself:
its request key (``id``), its ``cluster``, and its page's own headline, date,
outlet, bylines and address; the body, sentences and summary stay the
representative's (the summary's sources index those sentences), and a warning
(``ClusterInfo.member_warning``) says whose summary it shares. ``newsum batch``
(``workers.batch.clustering.with_cluster``) and the service's workers
(``BatchCoordinator.finish_followers``) both build members here, so the two write
the same rows.
"""

from __future__ import annotations

import re

from workers.article.extracted import PageMetadata
from workers.contract import Article, Author, ClusterInfo, SummaryResult
from workers.english.romanize import romanize_name

_HAN = re.compile(r"[\u4e00-\u9fff]")


def _people(names: list[str], known: list[Author]) -> list[Author]:
    """Names as the contract's authors, romanized as the representative's were."""
    romanized = {a.name: a.romanized for a in known}
    return [
        Author(
            name=name,
            romanized=romanized[name]
            if name in romanized
            else (romanize_name(name) if _HAN.search(name) else None),
        )
        for name in names
    ]


def own_article(shared: Article, own: PageMetadata) -> Article:
    """``shared`` with the member page's own headline, date, outlet, people and address.

    The English headline is kept only for the same headline: another headline has no
    English of its own (no model runs for a member)."""
    return shared.model_copy(
        update={
            "title": own.title,
            "title_en": shared.title_en if own.title == shared.title else None,
            "published": own.published,
            "outlet": own.outlet,
            "authors": _people(list(own.authors), shared.authors),
            "editors": _people(list(own.editors), shared.editors),
            "photo_credits": list(own.photo_credits),
            "url": own.url,
        }
    )


def member_result(
    shared: SummaryResult,
    cluster: ClusterInfo,
    *,
    key: str,
    own: PageMetadata | None = None,
) -> SummaryResult:
    """Batch item ``key``'s result in the cluster ``cluster``, from the representative's
    ``shared`` (never changed: it may sit in the cache). ``own``: the member's page
    metadata (None: unknown, the representative's stays). A result that is already
    ``key``'s own (the representative's) only gets its ``cluster``."""
    result = shared.model_copy(deep=True)
    result.cluster = cluster
    if shared.id == key:
        return result
    result.id = key
    if own is not None:
        result.article = own_article(result.article, own)
    result.checks.warnings.append(cluster.member_warning())
    return result
