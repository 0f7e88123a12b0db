"""The access-token verifier registered as ``app.state.token_verifier``.

Every authenticated request: verify the JWT (pinned EdDSA, ``kid``, ``iss``/``aud``, times on the
injected clock, ``typ == "access"``), then ONE query loads the user's status, token version,
roles and permissions, joined to the live session named by ``sid``. A disabled user, a bumped
token version (logout-all, password change, role change, deactivation) or a revoked session
stops the token at once. Every refusal is the same 401 ``invalid_token``. The same query says
whether the email is verified, so the principal's ``email_verified`` is current (a verification
takes effect at the next request, no new token needed).
"""

from __future__ import annotations

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

    async def __call__(self, session: AsyncSession, token: str) -> Principal:
        try:
            claims = decode(self.settings, token, typ=TYP_ACCESS)
            user_id = uuid_claim(claims, "sub")
            session_id = uuid_claim(claims, "sid")
            version = version_claim(claims)
        except TokenError as exc:
            raise _refuse(exc.reason) from None
        rows = await users_repo.load_principal_rows(session, user_id, session_id, utcnow())
        if not rows:
            raise _refuse("session_not_live")
        status, token_version = rows[0][0], rows[0][1]
        if status != UserStatus.ACTIVE:
            raise _refuse("user_not_active")
        if version != token_version:
            raise _refuse("token_version")
        return Principal(
            user_id=user_id,
            roles=frozenset(row[2] for row in rows if row[2] is not None),
            permissions=frozenset(row[3] for row in rows if row[3] is not None),
            session_id=session_id,
            email_verified=bool(rows[0][4]),
            verified_email_required_for=self.verified_email_required_for,
        )
