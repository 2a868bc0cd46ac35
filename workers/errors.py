"""newsum's own errors. The whole tree, drawn once::

    NewsumError                 code              HTTP  retried?
     ├─ InputError              invalid_input     422   (bad input: never retried)
     │   ├─ EmptyInput          empty_input       422
     │   ├─ InputTooLarge       too_large         413   (carries the limit)
     │   ├─ UndecodableInput    undecodable       422
     │   ├─ NotChinese          not_chinese       422
     │   ├─ NoArticle           no_article        422   (the page's text is no article)
     │   ├─ InvalidRequest      invalid_request   422
     │   └─ UnsafeURL           unsafe_url        422
     ├─ FetchFailed             fetch_failed      502   (the page could not be fetched)
     ├─ ModelUnavailable        model_unavailable 503   (weights missing, licence refused)
     ├─ TransientError          transient         503   (Redis away: retried with backoff)
     ├─ JobTimedOut             timeout           504   (over the task's time limit)
     ├─ WorkerLost              worker_lost       500   (the worker died mid-task, too often)
     ├─ Expired                 expired           410   (the job record or result expired)
     └─ InternalError           internal          500   (a bug; the worker logged it)

Each class carries its ``code`` and its ``http_status``: the API maps an error to
HTTP by reading them (``service.errors``), also for a failed job's stored body,
which keeps only the code (``status_for_code``). The command line prints
``message`` on one line; a failed job stores ``to_body()``.
"""

from __future__ import annotations

from workers.contract import ErrorBody


class NewsumError(Exception):
    """Base of every error newsum raises on purpose. A subclass names its ``code``
    and, where it differs from its parent's, its ``http_status`` in the class line:
    ``class Expired(NewsumError, code="expired", status=410)``."""

    code = "error"
    http_status = 500

    def __init_subclass__(cls, *, code: str, status: int | None = None, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        cls.code = code
        if status is not None:
            cls.http_status = status

    def __init__(self, message: str, *, limit: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.limit = limit

    def to_body(self) -> ErrorBody:
        return ErrorBody(code=self.code, message=self.message, limit=self.limit)


class InputError(NewsumError, code="invalid_input", status=422): ...


class EmptyInput(InputError, code="empty_input"): ...


class InputTooLarge(InputError, code="too_large", status=413): ...


class UndecodableInput(InputError, code="undecodable"): ...


class NotChinese(InputError, code="not_chinese"): ...


class NoArticle(InputError, code="no_article", status=422):
    """No candidate body of a page passed the extraction's quality gate
    (``workers.article.gate``); the message says what the page's text is."""


class InvalidRequest(InputError, code="invalid_request"): ...


class UnsafeURL(InputError, code="unsafe_url"): ...


class FetchFailed(NewsumError, code="fetch_failed", status=502): ...


class ModelUnavailable(NewsumError, code="model_unavailable", status=503): ...


class TransientError(NewsumError, code="transient", status=503): ...


class JobTimedOut(NewsumError, code="timeout", status=504): ...


class WorkerLost(NewsumError, code="worker_lost", status=500): ...


class Expired(NewsumError, code="expired", status=410): ...


class InternalError(NewsumError, code="internal", status=500): ...


def _subclasses(cls: type[NewsumError]) -> list[type[NewsumError]]:
    found = []
    for sub in cls.__subclasses__():
        found.extend([sub, *_subclasses(sub)])
    return found


def status_for_code(code: str) -> int:
    """The HTTP status of the error class with ``code`` (500 for a code no class has).

    Read from the class tree when asked, so classes defined elsewhere (the API's
    ``Unauthorized``, ``NotFound``) count once their module is imported."""
    for cls in _subclasses(NewsumError):
        if cls.code == code:
            return cls.http_status
    return 500
