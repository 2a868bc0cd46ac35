"""The model layer's own errors, small on purpose.

::

    ModelError            anything the model layer refuses or cannot do
    ├── ModelNotFound     no checkpoint for a role: not in the model dir, not in the
    │                     Hugging Face cache, and (on pull) not reachable on the hub
    ├── LicenceRefused    the checkpoint's licence forbids this deployment's use
    └── ModelLoadFailed   files are there but do not load (corrupt, wrong kind, no memory)

``workers`` maps these onto its own error tree; nothing here knows about HTTP.
"""

from __future__ import annotations


class ModelError(Exception):
    """Base of every model-layer error; the message says what and how to fix it."""


class ModelNotFound(ModelError):
    """No checkpoint is present (or reachable) for a role."""


class LicenceRefused(ModelError):
    """A checkpoint's licence does not allow the configured use."""


class ModelLoadFailed(ModelError):
    """A checkpoint is present but cannot be loaded."""
