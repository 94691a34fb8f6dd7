"""What each staff role may do in the admin UI: one table, checked on every request.

Roles are cumulative (a reviewer can do what an editor can, an admin what a reviewer can),
so a small clinic can run with two admins. Publishing still needs two people whatever the
roles: :mod:`kb.review` refuses an author's approval or publication of their own change.
"""

from __future__ import annotations

from kb.items import Ref
from kb.staff import STAFF_ROLES

EDITOR_CAN = frozenset({"view", "edit", "submit", "insight"})
REVIEWER_CAN = EDITOR_CAN | {"review", "publish", "rollback", "rebuild"}
ADMIN_CAN = REVIEWER_CAN | {"users", "audit", "edit_settings"}
PERMISSIONS: dict[str, frozenset[str]] = {
    "editor": EDITOR_CAN,
    "reviewer": REVIEWER_CAN,
    "admin": ADMIN_CAN,
}
assert set(PERMISSIONS) == set(STAFF_ROLES)

#: Item types only admins may change: the centre's contact fields and global settings
#: (e.g. the emergency number) are operational facts, not medical prose.
ADMIN_ITEM_TYPES = frozenset({"centre", "setting"})


def can(role: str, permission: str) -> bool:
    return permission in PERMISSIONS.get(role, frozenset())


def can_edit(role: str, ref: Ref) -> bool:
    """Whether ``role`` may draft a change of ``ref``."""
    if ref.type in ADMIN_ITEM_TYPES:
        return can(role, "edit_settings")
    return can(role, "edit")
