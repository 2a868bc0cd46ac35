"""How the command line fails: one line on stderr, exit 2 for bad input, 1 otherwise."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import click

from models.errors import ModelError
from workers.errors import InputError, NewsumError
from workers.settings import SettingsError

F = TypeVar("F", bound=Callable[..., Any])

EXIT_BAD_INPUT = 2
EXIT_FAILED = 1


def fail(message: str, code: int = EXIT_FAILED) -> NoReturn:
    click.echo(f"newsum: error: {message}", err=True)
    sys.exit(code)


def friendly_errors(func: F) -> F:
    """Turn our errors (and a bad configuration) into one line on stderr."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except SettingsError as exc:
            fail(str(exc))
        except InputError as exc:
            fail(exc.message, EXIT_BAD_INPUT)
        except NewsumError as exc:
            fail(exc.message)
        except ModelError as exc:
            fail(str(exc))
        except UnicodeDecodeError as exc:
            # Only input files are decoded as text here (articles, glossaries, JSONL).
            fail(f"input is not UTF-8 text ({exc.reason} at byte {exc.start})", EXIT_BAD_INPUT)
        except OSError as exc:
            fail(f"{exc.strerror or exc}: {exc.filename}" if exc.filename else str(exc))

    return wrapper  # type: ignore[return-value]
