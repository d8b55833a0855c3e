"""Torch twins of ``scratch.nn``."""
