"""Identity errors: stable codes clients can switch on."""

from __future__ import annotations

from campus.kernel.errors import BadRequest, Conflict, Forbidden, NotFound


class InvalidLink(BadRequest):
    """An emailed link (verification, password reset, email change) cannot be used."""

    code = "invalid_token"
    message = "This link is invalid, was already used or has expired."


class OrganizationNotFound(NotFound):
    """The organization does not exist, or the caller is not one of its members."""

    code = "organization_not_found"
    message = "No such organization."


class MemberNotFound(NotFound):
    code = "member_not_found"
    message = "This user is not a member of the organization."


class InvitationNotFound(NotFound):
    code = "invitation_not_found"
    message = "No such invitation in this organization."


class SlugTaken(Conflict):
    code = "slug_taken"
    message = "Another organization already uses this slug."


class LastOrgAdmin(Conflict):
    """A demotion or a removal would leave the organization without an org admin."""

    code = "last_org_admin"
    message = "An organization keeps at least one org admin: promote another member first."


class InvitationClosed(Conflict):
    """Revoking an invitation that was already accepted or revoked."""

    code = "invitation_closed"
    message = "This invitation was already accepted or revoked."


class InvitationInvalid(BadRequest):
    code = "invitation_invalid"
    message = "This invitation link is not valid."


class InvitationUsed(BadRequest):
    code = "invitation_used"
    message = "This invitation link was already used."


class InvitationExpired(BadRequest):
    code = "invitation_expired"
    message = "This invitation link has expired: ask for a new one."


class InvitationRevoked(BadRequest):
    code = "invitation_revoked"
    message = "This invitation was withdrawn."


class InvitationForSomeoneElse(Forbidden):
    """The signed-in user's verified email is not the invited address."""

    code = "invitation_email_mismatch"
    message = "This invitation was sent to another email address."
