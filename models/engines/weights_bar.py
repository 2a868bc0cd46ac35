"""transformers' "Loading weights" bar, for people only.

Its own module: ``models.engines.base`` is read by the API (through the glossary),
which must never import transformers, even lazily (import-linter's contracts).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def weights_bar_for_people() -> Iterator[None]:
    """transformers draws a "Loading weights" bar for every checkpoint it loads: on a
    terminal that is progress, in a worker's log or a piped `newsum summarize` it is
    noise. Off while loading unless stderr is a terminal; left as it was after."""
    from transformers.utils import logging as transformers_logging

    switch_off = not sys.stderr.isatty() and transformers_logging.is_progress_bar_enabled()
    if switch_off:
        transformers_logging.disable_progress_bar()
    try:
        yield
    finally:
        if switch_off:
            transformers_logging.enable_progress_bar()
