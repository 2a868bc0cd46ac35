"""The Celery side: the app, thin task definitions and the worker's bootstrap."""
