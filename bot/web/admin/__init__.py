"""The staff admin web UI, mounted under ``/admin`` of the clinic page (:mod:`bot.web.server`).

Editors change content and submit it, reviewers publish it (never their own change), admins
manage accounts, the centre's contacts and settings. Content goes through :mod:`kb.review`,
exactly as with the ``python -m kb`` CLI. Security decisions: :mod:`bot.web.admin.security`.
"""
