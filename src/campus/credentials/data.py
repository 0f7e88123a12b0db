"""Credentials' published language: statuses and the permissions it checks."""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from campus.kernel.module import Permission


class CertificateStatus(StrEnum):
    PENDING = "pending"  # waits for an instructor's approval
    ISSUED = "issued"
    REJECTED = "rejected"
    REVOKED = "revoked"


class RenderStatus(StrEnum):
    QUEUED = "queued"
    READY = "ready"
    FAILED = "failed"


CERTIFICATE_MANAGE_ANY: Final = "certificate:manage_any"
CERTIFICATE_REVOKE: Final = "certificate:revoke"
CERTIFICATE_APPROVE: Final = "certificate:approve"

PERMISSIONS: Final = (
    Permission(CERTIFICATE_MANAGE_ANY, "See and manage every course's certificates and rules."),
    Permission(CERTIFICATE_REVOKE, "Revoke and reissue certificates."),
    Permission(
        CERTIFICATE_APPROVE,
        "Approve or reject certificates waiting for approval in the courses one teaches.",
        frozenset({"instructor"}),
    ),
)
