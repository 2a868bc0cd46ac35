"""Newsroom batches on the workers: near-duplicate grouping, the batch plan and
its chunks, cross-article translation and summaries."""
