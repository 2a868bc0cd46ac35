"""The article pipeline, the Celery app and tasks, the cache and job store."""
