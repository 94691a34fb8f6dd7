"""Errors the knowledge base reports to the people who feed it content.

Kept in a module of their own because the loader, importer, review workflow and CLI all
raise and catch them, and none of them should have to import the others for it.
"""

from __future__ import annotations


class ContentError(ValueError):
    """Content that cannot be accepted; the message says where (file, row, item) and why."""


class ReviewError(RuntimeError):
    """A review-workflow rule refused the action (e.g. an author publishing their own text)."""


class MissingText(ContentError, LookupError):
    """An item has no text in the language asked for.

    Raised by the read path instead of silently answering in another language; the composer
    turns it into the "answer.missing" phrase of the patient's language, and validation lists
    every gap so it is fixed before it ships.
    """
