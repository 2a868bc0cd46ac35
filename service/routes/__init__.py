"""The API's routes, one module per resource."""

from service.routes import batches, health, summaries, translate

__all__ = ["batches", "health", "summaries", "translate"]
