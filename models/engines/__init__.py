"""Engines: batch in, batch out, behind the protocols of ``models.engines.base``."""
