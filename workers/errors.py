"""newsum's own errors. The whole tree, drawn once::

    NewsumError                 code              retried?
     ├─ InputError              (bad input: 4xx, never retried)
     │   ├─ EmptyInput          empty_input
     │   ├─ InputTooLarge       too_large         (carries the limit)
     │   ├─ UndecodableInput    undecodable
     │   ├─ NotChinese          not_chinese
     │   ├─ InvalidRequest      invalid_request
     │   └─ UnsafeURL           unsafe_url
     ├─ FetchFailed             fetch_failed      (the page could not be fetched)
     ├─ ModelUnavailable        model_unavailable (weights missing, licence refused)
     └─ TransientError          transient         (Redis away, worker lost: retried with backoff)

The API maps these to HTTP in one place (``service.errors``); the command line
prints ``message`` on one line; a failed job stores ``to_body()``.
"""

from __future__ import annotations

from workers.contract import ErrorBody


class NewsumError(Exception):
    code = "error"

    def __init__(self, message: str, *, limit: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.limit = limit

    def to_body(self) -> ErrorBody:
        return ErrorBody(code=self.code, message=self.message, limit=self.limit)


class InputError(NewsumError):
    code = "invalid_input"


class EmptyInput(InputError):
    code = "empty_input"


class InputTooLarge(InputError):
    code = "too_large"


class UndecodableInput(InputError):
    code = "undecodable"


class NotChinese(InputError):
    code = "not_chinese"


class InvalidRequest(InputError):
    code = "invalid_request"


class UnsafeURL(InputError):
    code = "unsafe_url"


class FetchFailed(NewsumError):
    code = "fetch_failed"


class ModelUnavailable(NewsumError):
    code = "model_unavailable"


class TransientError(NewsumError):
    code = "transient"
