"""Operator roles and what each may do; checked by the services, not by the channels."""

from __future__ import annotations

from enum import StrEnum

from bot.core.errors import PermissionDeniedError


class Role(StrEnum):
    """An operator account's role."""

    OPERATOR = "operator"  # first line: takes new tickets
    SPECIALIST = "specialist"  # second line: takes escalated tickets
    CURATOR = "curator"  # approves knowledge-base proposals
    ANALYST = "analyst"  # reads statistics and queues, changes nothing
    ADMIN = "admin"  # everything


class Permission(StrEnum):
    """An action guarded by role."""

    WORK_FIRST_LINE = "work_first_line"
    WORK_SECOND_LINE = "work_second_line"
    VIEW_QUEUE = "view_queue"
    PROPOSE = "propose"
    DECIDE_PROPOSALS = "decide_proposals"
    MANAGE_ACCOUNTS = "manage_accounts"
    MAINTENANCE = "maintenance"
    VIEW_ANALYTICS = "view_analytics"
    # The contacts a citizen left and the files they attached: for those who answer them.
    VIEW_PERSONAL_DATA = "view_personal_data"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.OPERATOR: frozenset(
        {
            Permission.WORK_FIRST_LINE,
            Permission.VIEW_QUEUE,
            Permission.PROPOSE,
            Permission.VIEW_PERSONAL_DATA,
        }
    ),
    Role.SPECIALIST: frozenset(
        {
            Permission.WORK_FIRST_LINE,
            Permission.WORK_SECOND_LINE,
            Permission.VIEW_QUEUE,
            Permission.PROPOSE,
            Permission.VIEW_PERSONAL_DATA,
        }
    ),
    Role.CURATOR: frozenset(
        {
            Permission.VIEW_QUEUE,
            Permission.PROPOSE,
            Permission.DECIDE_PROPOSALS,
            Permission.VIEW_ANALYTICS,
        }
    ),
    Role.ANALYST: frozenset({Permission.VIEW_QUEUE, Permission.VIEW_ANALYTICS}),
    Role.ADMIN: frozenset(Permission),
}

ROLE_LABELS: dict[Role, str] = {
    Role.OPERATOR: "оператор",
    Role.SPECIALIST: "специалист",
    Role.CURATOR: "куратор",
    Role.ANALYST: "аналитик",
    Role.ADMIN: "администратор",
}


def has_permission(role: Role, permission: Permission) -> bool:
    """True when the role grants the permission."""
    return permission in ROLE_PERMISSIONS[role]


def require(role: Role, permission: Permission, action: str) -> None:
    """Raise `PermissionDeniedError` naming the action unless the role grants the permission."""
    if not has_permission(role, permission):
        raise PermissionDeniedError(f"Роль «{ROLE_LABELS[role]}» не может {action}.")
