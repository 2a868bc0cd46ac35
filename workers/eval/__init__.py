"""Evaluation: extraction and summary quality against the shared pages, ROUGE."""
