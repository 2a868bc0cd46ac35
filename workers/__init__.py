"""Everything that runs on the worker side, grouped by kind:

- ``article/``: steps 1-4 of an article's way (intake, fetch, extract, language
  and normalization, segment);
- ``english/``: steps 5-7 (engines, summary strategies, translation, glossary and
  names, key terms, number and name checks, review flags);
- ``store/``: what lives in Redis (result cache, digests, jobs, batches,
  translation memory, the embedded Redis);
- ``batch/``: newsroom batches (near-duplicate grouping, plans, shared work);
- ``queue/``: the Celery app, its tasks and the worker's bootstrap;
- ``eval/``: extraction and summary quality, ROUGE;
- ``data/``: the built-in glossary and the script that builds it.

At the top: ``pipeline`` (the steps in order, in one process), ``contract`` (the
task payloads and results), ``settings`` and ``errors``, shared by the service.
"""
