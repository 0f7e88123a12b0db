"""The identity rate limits (AUTH-03/04), on the kernel's ``RateLimiter``.

Keys for accounts are the normalised email key, used whether or not an account exists, so a
429 never tells an attacker which emails are registered.
"""

from __future__ import annotations

import contextlib
import uuid

from campus.identity.service.request_context import RequestContext
from campus.identity.settings import IdentitySettings
from campus.kernel.errors import RateLimited


async def login_attempt(ctx: RequestContext) -> None:
    """Every login attempt counts against the client IP."""
    limit = f"{IdentitySettings.of(ctx.settings).login_attempts_per_ip_per_minute}/minute"
    await ctx.limiter.hit("login-ip", ctx.ip, limit)


def _failures_limit(ctx: RequestContext) -> str:
    return f"{IdentitySettings.of(ctx.settings).login_failures_per_account_per_hour}/hour"


async def check_login_failures(ctx: RequestContext, email_key: str) -> None:
    """Refuse (429) once the account saw too many failures, even with the right password."""
    await ctx.limiter.check("login-failures", email_key, _failures_limit(ctx))


async def record_login_failure(ctx: RequestContext, email_key: str) -> None:
    # Already exhausted: the next attempt is refused by check_login_failures.
    with contextlib.suppress(RateLimited):
        await ctx.limiter.hit("login-failures", email_key, _failures_limit(ctx))


async def clear_login_failures(ctx: RequestContext, email_key: str) -> None:
    await ctx.limiter.clear("login-failures", email_key, _failures_limit(ctx))


async def auth_email(ctx: RequestContext, purpose: str, email_key: str) -> None:
    """Emails sent on behalf of anonymous requests: per account and purpose, and per IP."""
    await ctx.limiter.hit(
        f"auth-email-{purpose}",
        email_key,
        f"{IdentitySettings.of(ctx.settings).auth_emails_per_hour}/hour",
    )
    await ctx.limiter.hit(
        "auth-email-ip",
        ctx.ip,
        f"{IdentitySettings.of(ctx.settings).auth_emails_per_ip_per_hour}/hour",
    )


async def link_token_attempt(ctx: RequestContext) -> None:
    """Submitting an emailed token (verify, confirm, reset) counts against the client IP: the
    tokens have 256 bits, the limit stops anyone from even trying at volume (AUTH-04)."""
    limit = f"{IdentitySettings.of(ctx.settings).login_attempts_per_ip_per_minute}/minute"
    await ctx.limiter.hit("link-token-ip", ctx.ip, limit)


async def refresh(ctx: RequestContext) -> None:
    await ctx.limiter.hit(
        "refresh-ip",
        ctx.ip,
        f"{IdentitySettings.of(ctx.settings).refresh_per_ip_per_minute}/minute",
    )


MFA_ATTEMPTS_PER_CHALLENGE = "5/5minutes"
MFA_ATTEMPTS_PER_USER = "20/hour"


async def mfa_attempt(ctx: RequestContext, token_id: str, user_id: uuid.UUID) -> None:
    await ctx.limiter.hit("mfa-token", token_id, MFA_ATTEMPTS_PER_CHALLENGE)
    await ctx.limiter.hit("mfa-user", str(user_id), MFA_ATTEMPTS_PER_USER)
