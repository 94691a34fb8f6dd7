"""Every table of the KB database in one metadata: the content's and the staff's.

Migrations and the schema test compare against this, so a table declared in either
module (:mod:`kb.models`, :mod:`kb.staff`) can never be left out of them.
"""

from __future__ import annotations

from kb import staff  # noqa: F401 - declares the staff tables on the same Base
from kb.models import Base

metadata = Base.metadata
