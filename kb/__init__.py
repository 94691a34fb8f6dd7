"""The knowledge base: SQLAlchemy models, seed content, queries, review workflow and staff CLI.

Entry points: :mod:`kb.answers` (what the bot says), :mod:`kb.loader` (seed content),
:mod:`kb.review` (drafts, review, publishing, history, rollback), :mod:`kb.migrate` (schema),
``python -m kb`` (:mod:`kb.cli`, staff and operator commands).

Content is handled as items (:mod:`kb.items`): a reference plus a payload, checked by
:mod:`kb.payloads`, versioned by :mod:`kb.revisions`, exchanged as YAML/CSV by
:mod:`kb.exchange`, turned into drafts by :mod:`kb.drafts`, checked as a whole by
:mod:`kb.validate`.
"""
