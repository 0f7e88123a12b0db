"""The authenticated principal every context sees, and how requests get one.

The kernel knows nothing of users or tokens: the identity context registers a
``TokenVerifier`` on the app at start-up (``app.state.token_verifier``). Contexts depend on
``CurrentPrincipal`` / ``OptionalPrincipal`` and check permissions in their services.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Annotated, Protocol

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from campus.kernel.db import SessionDep
from campus.kernel.errors import Forbidden, Unauthorized

#: Actions the platform may reserve for verified email addresses
#: (``CAMPUS_REQUIRE_VERIFIED_EMAIL_FOR``): signing in, enrolling, submitting work.
VERIFIED_EMAIL_ACTIONS: frozenset[str] = frozenset({"login", "enroll", "submit"})


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling. ``email_verified`` and ``verified_email_required_for`` are filled from
    the account and the platform's setting by the token verifier on every request (so a
    verification takes effect at the next request); a principal built in code for a trusted
    caller (seeding) keeps the defaults, which require nothing."""

    user_id: uuid.UUID
    roles: frozenset[str] = field(default_factory=frozenset)
    permissions: frozenset[str] = field(default_factory=frozenset)
    session_id: uuid.UUID | None = None
    email_verified: bool = True
    verified_email_required_for: frozenset[str] = field(default_factory=frozenset)

    def has(self, permission: str) -> bool:
        return permission in self.permissions

    def require(self, permission: str) -> None:
        if permission not in self.permissions:
            raise Forbidden(details={"permission": permission})

    def require_verified_email(self, action: str) -> None:
        """403 ``email_unverified`` when the platform reserves ``action`` (``enroll``,
        ``submit``) for verified addresses and this caller's is not verified yet."""
        if not self.email_verified and action in self.verified_email_required_for:
            raise Forbidden(
                "Verify your email address first: open the link we sent you, or ask for a new "
                "one with POST /api/v1/auth/email/resend.",
                code="email_unverified",
                details={"action": action},
            )

    def has_role(self, role: str) -> bool:
        return role in self.roles

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles


class TokenVerifier(Protocol):
    async def __call__(self, session: AsyncSession, token: str) -> Principal: ...


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Use 'Authorization: Bearer <access token>'.", code="invalid_token")
    return token.strip()


async def optional_principal(
    request: Request, session: AsyncSession = SessionDep
) -> Principal | None:
    token = bearer_token(request)
    if token is None:
        return None
    verifier: TokenVerifier = request.app.state.token_verifier
    principal = await verifier(session, token)
    request.state.principal = principal
    return principal


async def require_principal(
    principal: Principal | None = Depends(optional_principal),
) -> Principal:
    if principal is None:
        raise Unauthorized()
    return principal


CurrentPrincipal = Annotated[Principal, Depends(require_principal)]
OptionalPrincipal = Annotated[Principal | None, Depends(optional_principal)]
DbSession = Annotated[AsyncSession, SessionDep]
