"""Credentials' errors, with stable codes."""

from __future__ import annotations

from campus.kernel.errors import Conflict, NotFound


class CertificateNotFound(NotFound):
    code = "certificate_not_found"
    message = "No such certificate."


class CertificateNotPending(Conflict):
    code = "certificate_not_pending"
    message = "The certificate is not waiting for approval."


class CertificateNotIssued(Conflict):
    code = "certificate_not_issued"
    message = "Only an issued certificate can be revoked or reissued."


class CertificateNotRendered(Conflict):
    code = "certificate_not_rendered"
    message = "The certificate's files are not ready yet; poll its renderStatus."


class BadgeNotFound(NotFound):
    code = "badge_not_found"
    message = "No such badge."
