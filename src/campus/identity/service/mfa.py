"""Optional TOTP multi-factor authentication (RFC 6238, 30-second steps, 6 digits).

* ``setup`` (current password) returns a fresh secret and ``otpauth://`` URI; ``confirm`` with a
  first code enables MFA and returns 10 one-time recovery codes (stored as SHA-256; 80 bits
  each). ``disable`` needs the password and a code (or a recovery code).
* A TOTP code is accepted for the current step and one step either side; each step is accepted
  at most once per user, across confirm, login and disable (``last_used_step`` advanced by a
  conditional update), so a code cannot be replayed within its window: the code that confirmed
  the enrolment does not also sign in; the next one (30 s later) does. A recovery code works
  once.
* One answer for a bad second factor everywhere (confirm, login verification, disable): a
  wrong, malformed or already used code is a 422 ``invalid_mfa_code`` on the field that carried
  it (``code`` or ``recoveryCode``). The caller is identified (by the access token or the
  ``mfaToken``) and only that field must be typed again; a 401 would tell clients their token is
  no good and make them start over. An invalid or expired ``mfaToken`` is the 401
  ``invalid_mfa_token``.
* The secret is stored encrypted with AES-GCM under a key derived from ``CAMPUS_SECRET_KEY``;
  rotating that key invalidates enrolled secrets (users then sign in with a recovery code and
  enrol again).
* ``require_mfa_for_admins``: an administrator without MFA cannot sign in (403
  ``mfa_enrollment_required``). Administrators enrol first, then the setting is switched on.
* Every change sends a security notice (AUTH-07).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.ext.asyncio import AsyncSession

from campus.config import Settings
from campus.identity.repository import credentials as creds_repo
from campus.identity.repository import users as users_repo
from campus.identity.service import emails, ratelimits
from campus.identity.service.account import require_account, require_password
from campus.identity.service.login import IssuedSession, start_session
from campus.identity.service.request_context import RequestContext
from campus.identity.service.tokens import TYP_MFA, TokenError, decode, uuid_claim, version_claim
from campus.kernel.auth import Principal
from campus.kernel.clock import utcnow
from campus.kernel.errors import Conflict, Unauthorized, ValidationFailed, field_error

ISSUER = "Campus"
RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case
_AAD = b"campus-identity-mfa"


# --------------------------------------------------------------------------- secrets and codes


def _cipher(settings: Settings) -> AESGCM:
    secret = settings.secret_key.get_secret_value().encode()
    return AESGCM(hashlib.sha256(b"campus-identity-mfa-v1\x00" + secret).digest())


def encrypt_secret(settings: Settings, secret: str) -> str:
    nonce = os.urandom(12)
    sealed = _cipher(settings).encrypt(nonce, secret.encode(), _AAD)
    return "v1." + base64.urlsafe_b64encode(nonce + sealed).decode()


def decrypt_secret(settings: Settings, stored: str) -> str | None:
    if not stored.startswith("v1."):
        return None
    try:
        raw = base64.urlsafe_b64decode(stored[3:].encode())
        return _cipher(settings).decrypt(raw[:12], raw[12:], _AAD).decode()
    except (InvalidTag, ValueError):
        return None


def matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step whose code equals ``code`` (current step ± 1), or None."""
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    for offset in (0, -1, 1):
        moment = now + timedelta(seconds=offset * totp.interval)
        if hmac.compare_digest(str(totp.at(moment)), code):
            return int(totp.timecode(moment))
    return None


def invalid_code(*, recovery: bool = False) -> ValidationFailed:
    """The one answer for a wrong, malformed or spent second factor (see the module docs)."""
    return field_error(
        "recoveryCode" if recovery else "code",
        "The code is not valid or was already used.",
        code="invalid_mfa_code",
    )


def _normalize_recovery(code: str) -> str:
    cleaned = "".join(c for c in code.lower() if c not in "- ")
    return cleaned.translate(str.maketrans("oil", "011"))


def hash_recovery_code(code: str) -> str:
    return hashlib.sha256(_normalize_recovery(code).encode()).hexdigest()


def new_recovery_codes() -> list[str]:
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(16))
        codes.append("-".join(raw[i : i + 4] for i in range(0, 16, 4)))
    return codes


async def _second_factor_ok(
    session: AsyncSession,
    settings: Settings,
    user_id: uuid.UUID,
    *,
    code: str | None,
    recovery_code: str | None,
) -> bool:
    if recovery_code:
        return await creds_repo.use_recovery_code(
            session, user_id, hash_recovery_code(recovery_code), utcnow()
        )
    state = await creds_repo.mfa_state(session, user_id)
    if state is None or not state.confirmed or not code:
        return False
    secret = decrypt_secret(settings, state.secret_encrypted)
    step = matching_step(secret, code, utcnow()) if secret else None
    return step is not None and await creds_repo.claim_totp_step(session, user_id, step)


# --------------------------------------------------------------------------- enrolment


@dataclass(frozen=True, slots=True)
class MfaSetup:
    secret: str
    otpauth_uri: str


async def setup(
    session: AsyncSession, ctx: RequestContext, principal: Principal, current_password: str
) -> MfaSetup:
    account = await require_account(session, principal.user_id)
    await require_password(ctx, account, current_password)
    if account.mfa_enabled:
        raise Conflict(
            "Multi-factor authentication is already enabled.", code="mfa_already_enabled"
        )
    secret = pyotp.random_base32()
    if not await creds_repo.put_pending_mfa(
        session, account.id, encrypt_secret(ctx.settings, secret), utcnow()
    ):
        raise Conflict(
            "Multi-factor authentication is already enabled.", code="mfa_already_enabled"
        )
    uri = pyotp.TOTP(secret).provisioning_uri(name=account.email, issuer_name=ISSUER)
    return MfaSetup(secret=secret, otpauth_uri=str(uri))


async def confirm(
    session: AsyncSession, ctx: RequestContext, principal: Principal, code: str
) -> list[str]:
    await ratelimits.mfa_attempt(ctx, f"confirm:{principal.user_id}", principal.user_id)
    account = await require_account(session, principal.user_id)
    state = await creds_repo.mfa_state(session, account.id)
    if state is None or state.confirmed:
        raise Conflict(
            "Start the set-up first (or MFA is already enabled).", code="mfa_not_pending"
        )
    secret = decrypt_secret(ctx.settings, state.secret_encrypted)
    now = utcnow()
    step = matching_step(secret, code, now) if secret else None
    if step is None:
        raise invalid_code()
    if not await creds_repo.confirm_mfa(session, account.id, step, now):
        raise Conflict(
            "Multi-factor authentication is already enabled.", code="mfa_already_enabled"
        )
    codes = new_recovery_codes()
    await creds_repo.replace_recovery_codes(
        session, account.id, [hash_recovery_code(c) for c in codes], now
    )
    await emails.send_security_notice(
        session,
        to=account.email,
        first_name=account.first_name,
        subject="Multi-factor authentication was enabled",
        what="Signing in to your account now needs a code from your authenticator app.",
    )
    return codes


async def disable(
    session: AsyncSession,
    ctx: RequestContext,
    principal: Principal,
    current_password: str,
    *,
    code: str | None,
    recovery_code: str | None,
) -> None:
    account = await require_account(session, principal.user_id)
    await require_password(ctx, account, current_password)
    if not account.mfa_enabled:
        raise Conflict("Multi-factor authentication is not enabled.", code="mfa_not_enabled")
    await ratelimits.mfa_attempt(ctx, f"disable:{account.id}", account.id)
    if not await _second_factor_ok(
        session, ctx.settings, account.id, code=code, recovery_code=recovery_code
    ):
        raise invalid_code(recovery=bool(recovery_code))
    await creds_repo.delete_mfa(session, account.id)
    await emails.send_security_notice(
        session,
        to=account.email,
        first_name=account.first_name,
        subject="Multi-factor authentication was disabled",
        what="Signing in to your account no longer needs a code from your authenticator app.",
    )


# --------------------------------------------------------------------------- login step


def _invalid_challenge() -> Unauthorized:
    return Unauthorized(
        "The sign-in challenge is invalid or has expired. Sign in again.",
        code="invalid_mfa_token",
    )


async def verify_login(
    session: AsyncSession,
    ctx: RequestContext,
    mfa_token: str,
    *,
    code: str | None,
    recovery_code: str | None,
) -> IssuedSession:
    """Second login step: the ``mfaToken`` from login plus a TOTP or recovery code."""
    try:
        claims = decode(ctx.settings, mfa_token, typ=TYP_MFA)
        user_id = uuid_claim(claims, "sub")
        version = version_claim(claims)
    except TokenError:
        raise _invalid_challenge() from None
    await ratelimits.mfa_attempt(ctx, str(claims["jti"]), user_id)
    account = await users_repo.account_by_id(session, user_id)
    if (
        account is None
        or not account.is_active
        or not account.mfa_enabled
        or account.token_version != version
    ):
        raise _invalid_challenge()
    if not await _second_factor_ok(
        session, ctx.settings, account.id, code=code, recovery_code=recovery_code
    ):
        raise invalid_code(recovery=bool(recovery_code))
    if recovery_code:
        await emails.send_security_notice(
            session,
            to=account.email,
            first_name=account.first_name,
            subject="A recovery code was used to sign in",
            what="One of your multi-factor recovery codes was used to sign in. It cannot be "
            "used again.",
        )
    return await start_session(session, ctx, account.id, account.token_version)
