"""Roles and the permission table: the one place that says who may do what.

Views and the API ask for a permission by name (`tenants.access.get_tenant_for_user(...,
perm=Perm.MANAGE_MEMBERS)`); nothing else compares roles.
"""

from __future__ import annotations

from enum import StrEnum

from django.db import models


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    ACCOUNTANT = "accountant", "Accountant"
    VIEWER = "viewer", "Viewer"


class Perm(StrEnum):
    VIEW = "view"
    CHANGE_SETTINGS = "change_settings"
    MANAGE_MEMBERS = "manage_members"
    MANAGE_OWNERS = "manage_owners"
    MANAGE_CONNECTIONS = "manage_connections"
    CHANGE_MAPPINGS = "change_mappings"
    RUN_SYNCS = "run_syncs"
    RESOLVE_ERRORS = "resolve_errors"
    MANAGE_API_KEYS = "manage_api_keys"


_OPERATE = {
    Perm.VIEW,
    Perm.MANAGE_CONNECTIONS,
    Perm.CHANGE_MAPPINGS,
    Perm.RUN_SYNCS,
    Perm.RESOLVE_ERRORS,
}

PERMISSIONS: dict[Role, frozenset[Perm]] = {
    Role.OWNER: frozenset(Perm),
    # Admins run the organisation but cannot make, demote or remove owners.
    Role.ADMIN: frozenset(set(Perm) - {Perm.MANAGE_OWNERS}),
    # Accountants do the bookkeeping work: connect, map, sync, fix errors.
    Role.ACCOUNTANT: frozenset(_OPERATE),
    Role.VIEWER: frozenset({Perm.VIEW}),
}

ROLE_HELP: dict[Role, str] = {
    Role.OWNER: "Everything, including managing other owners.",
    Role.ADMIN: "Everything except managing owners: settings, team, API keys, connections.",
    Role.ACCOUNTANT: "Connect accounts, edit mappings, run syncs and resolve errors.",
    Role.VIEWER: "Read-only access to syncs, documents and tie-out.",
}


def role_has(role: str, perm: Perm) -> bool:
    return perm in PERMISSIONS.get(Role(role), frozenset())
