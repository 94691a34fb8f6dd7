"""The knowledge base: SQLAlchemy models, seed content, queries and the staff CLI.

Entry points: :mod:`kb.answers` (what the bot says), :mod:`kb.loader` (seed content),
:mod:`kb.migrate` (schema), ``python -m kb`` (staff and operator commands).
"""
