"""Keras-style training for models: compile / fit / evaluate / predict / summary (see SPEC §9)."""
from __future__ import annotations


class Model:
    """Mixin that gives a Module the Keras training API. ``Sequential`` inherits it."""
