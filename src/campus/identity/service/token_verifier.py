"""The access-token verifier registered as ``app.state.token_verifier``.

Every authenticated request: verify the JWT (pinned EdDSA, ``kid``, ``iss``/``aud``, times on the
injected clock, ``typ == "access"``), then ONE query loads the user's status, token version,
roles and permissions, joined to the live session named by ``sid``. A disabled user, a bumped
token version (logout-all, password change, role change, deactivation) or a revoked session
stops the token at once. Every refusal is the same 401 ``invalid_token``. The same query says
whether the email is verified, so the principal's ``email_verified`` is current (a verification
takes effect at the next request, no new token needed).

``with_account`` makes the same checks with the caller's account record read by the same
statement (``GET /users/me``: one statement instead of two).
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from campus.config import Settings
from campus.identity.data import UserStatus
from campus.identity.repository import users as users_repo
from campus.identity.service.tokens import (
    TYP_ACCESS,
    TokenError,
    decode,
    keyring,
    uuid_claim,
    version_claim,
)
from campus.identity.settings import IdentitySettings
from campus.kernel.auth import Principal
from campus.kernel.clock import utcnow
from campus.kernel.errors import Unauthorized
from campus.kernel.logging import get_logger

log = get_logger("campus.identity.verifier")

REFUSAL_MESSAGE = "The access token is invalid or has expired."


def _refuse(reason: str) -> Unauthorized:
    log.info("access_token_rejected", reason=reason)
    return Unauthorized(REFUSAL_MESSAGE, code="invalid_token")


class AccessTokenVerifier:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.verified_email_required_for = IdentitySettings.of(settings).require_verified_email_for
        keyring(settings)  # load (or generate, in development) the key at start-up

    def _claims(self, token: str) -> tuple[uuid.UUID, uuid.UUID, int]:
        try:
            claims = decode(self.settings, token, typ=TYP_ACCESS)
            return uuid_claim(claims, "sub"), uuid_claim(claims, "sid"), version_claim(claims)
        except TokenError as exc:
            raise _refuse(exc.reason) from None

    def _principal(
        self,
        user_id: uuid.UUID,
        session_id: uuid.UUID,
        claimed_version: int,
        facts: tuple[str, int, bool, frozenset[str], frozenset[str]],
    ) -> Principal:
        status, token_version, email_verified, roles, permissions = facts
        if status != UserStatus.ACTIVE:
            raise _refuse("user_not_active")
        if claimed_version != token_version:
            raise _refuse("token_version")
        return Principal(
            user_id=user_id,
            roles=roles,
            permissions=permissions,
            session_id=session_id,
            email_verified=email_verified,
            verified_email_required_for=self.verified_email_required_for,
        )

    async def __call__(self, session: AsyncSession, token: str) -> Principal:
        user_id, session_id, version = self._claims(token)
        rows = await users_repo.load_principal_rows(session, user_id, session_id, utcnow())
        if not rows:
            raise _refuse("session_not_live")
        facts = (
            rows[0][0],
            rows[0][1],
            bool(rows[0][4]),
            frozenset(row[2] for row in rows if row[2] is not None),
            frozenset(row[3] for row in rows if row[3] is not None),
        )
        return self._principal(user_id, session_id, version, facts)

    async def with_account(
        self, session: AsyncSession, token: str
    ) -> tuple[Principal, users_repo.AccountRecord]:
        """The principal and the caller's account record in one statement, with exactly the
        checks and refusals of ``__call__`` (``GET /users/me``)."""
        user_id, session_id, version = self._claims(token)
        found = await users_repo.load_principal_with_account(session, user_id, session_id, utcnow())
        if found is None:
            raise _refuse("session_not_live")
        facts = (
            found.status,
            found.token_version,
            found.email_verified,
            found.roles,
            found.permissions,
        )
        return self._principal(user_id, session_id, version, facts), found.record
