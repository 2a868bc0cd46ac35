"""Faults for the reliability tests, injected into real worker processes through a
signal handler (``workers.queue.signals.article_stage``); nothing in production code
knows about them.

The workers these tests start find ``worker_site/`` first on their PYTHONPATH; its
``sitecustomize`` (run by Python at start-up) connects ``misbehave`` when
``NEWSUM_FAULT_INJECT`` is set. The spec, keyed on a marker in the article:

- ``crash-on:<marker>``: raise InjectedFault (a stage that crashes: poison input);
- ``sleep-on:<marker>:<seconds>``: sleep (a slow article, for kill and time-limit tests);
- ``kill-on:<marker>``: SIGKILL this worker process (an article that takes its worker down);
- ``hang-on:<marker>``: ignore the soft time limit until the hard one kills the process;
- ``until-file-on:<marker>:<path>``: wait until the file ``path`` exists (at most 300 s),
  so a test decides, on an event of its own, when the article goes on.

Several specs may be joined with ``;``. Each acts as the article enters "extract".
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded

from workers.contract import ArticleInput

ENV = "NEWSUM_FAULT_INJECT"


class InjectedFault(RuntimeError):
    """The crash the spec asked for."""


def misbehave(spec: str, article: ArticleInput) -> None:
    """Do what ``spec`` says for ``article``, if it holds one of the markers."""
    given = article.text or article.html or article.url or ""
    for part in spec.split(";"):
        action, _, rest = part.strip().partition(":")
        with_value = action in ("sleep-on", "until-file-on")
        marker, _, value = rest.partition(":") if with_value else (rest, "", "")
        if not marker or marker not in given:
            continue
        if action == "crash-on":
            raise InjectedFault(f"injected crash on marker {marker!r} ({ENV})")
        if action == "sleep-on":
            time.sleep(float(value or 1))
        elif action == "until-file-on":
            deadline = time.monotonic() + 300
            while not os.path.exists(value) and time.monotonic() < deadline:
                time.sleep(0.05)
        elif action == "kill-on":
            os.kill(os.getpid(), signal.SIGKILL)
        elif action == "hang-on":  # stuck past the soft limit (C code would be)
            while True:
                with contextlib.suppress(SoftTimeLimitExceeded):
                    time.sleep(1)


def install(spec: str) -> None:
    """Connect ``misbehave`` (with ``spec``) to the workers' ``article_stage`` signal."""
    from workers.queue.signals import article_stage

    def on_stage(article: ArticleInput, stage: str, **_: Any) -> None:
        if stage == "extract":
            misbehave(spec, article)

    article_stage.connect(on_stage, weak=False, dispatch_uid="newsum-test-faults")
