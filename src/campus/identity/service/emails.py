"""Account emails. Queued in the caller's transaction and delivered after commit. The
verification, password reset and email change links go through notifications (the
``notifications.send_account_mail`` job: templates per language, the delivery log); the
notices go straight to ``campus.kernel.mail.queue_email``. Links with tokens point at
``settings.base_url``; the outbox payload of those messages is wiped once sent."""

from __future__ import annotations

import uuid
from datetime import datetime
from urllib.parse import quote

from sqlalchemy.ext.asyncio import AsyncSession

from campus.config import Settings
from campus.kernel.mail import queue_email
from campus.kernel.outbox import enqueue_job
from campus.notifications.events import ACCOUNT_MAIL_JOB

_SIGNATURE = "\n\n— Campus"
_NOT_YOU = (
    "If this was not you, change your password now and sign out of every device from your "
    "account settings."
)


def link(settings: Settings, path: str, token: str) -> str:
    return f"{settings.base_url.rstrip('/')}/{path}?token={quote(token, safe='')}"


async def _account_mail(
    session: AsyncSession, type_code: str, *, user_id: uuid.UUID, to: str, first_name: str, url: str
) -> None:
    """Hand an account email to notifications (its templates, languages and delivery log).
    The payload holds the link with its token, so the job is ``sensitive``."""
    await enqueue_job(
        session,
        ACCOUNT_MAIL_JOB,
        {"type": type_code, "userId": str(user_id), "to": to, "firstName": first_name, "url": url},
        sensitive=True,
    )


async def send_verification(
    session: AsyncSession,
    settings: Settings,
    *,
    user_id: uuid.UUID,
    to: str,
    first_name: str,
    token: str,
) -> None:
    await _account_mail(
        session,
        "account.email_verification",
        user_id=user_id,
        to=to,
        first_name=first_name,
        url=link(settings, "verify-email", token),
    )


async def send_register_attempt_notice(
    session: AsyncSession, settings: Settings, *, to: str, first_name: str
) -> None:
    await queue_email(
        session,
        to=to,
        subject="Someone tried to register with your email address",
        text=(
            f"Hello {first_name},\n\nSomeone tried to create a new Campus account with this "
            f"email address, which already has an account. No new account was created.\n\n"
            f"If it was you, sign in instead, or reset your password at "
            f"{settings.base_url.rstrip('/')}/forgot-password.{_SIGNATURE}"
        ),
        sensitive=False,
    )


async def send_password_reset(
    session: AsyncSession,
    settings: Settings,
    *,
    user_id: uuid.UUID,
    to: str,
    first_name: str,
    token: str,
) -> None:
    await _account_mail(
        session,
        "account.password_reset",
        user_id=user_id,
        to=to,
        first_name=first_name,
        url=link(settings, "reset-password", token),
    )


async def send_security_notice(
    session: AsyncSession, *, to: str, first_name: str, subject: str, what: str
) -> None:
    """AUTH-07: a change to credentials or sign-in settings."""
    await queue_email(
        session,
        to=to,
        subject=subject,
        text=f"Hello {first_name},\n\n{what}\n\n{_NOT_YOU}{_SIGNATURE}",
        sensitive=False,
    )


async def send_email_change_link(
    session: AsyncSession,
    settings: Settings,
    *,
    user_id: uuid.UUID,
    to: str,
    first_name: str,
    token: str,
) -> None:
    await _account_mail(
        session,
        "account.email_change",
        user_id=user_id,
        to=to,
        first_name=first_name,
        url=link(settings, "confirm-email", token),
    )


async def send_email_taken_notice(session: AsyncSession, *, to: str) -> None:
    await queue_email(
        session,
        to=to,
        subject="Someone tried to use your email address on Campus",
        text=(
            "Hello,\n\nSomeone asked to move another Campus account to this email address, "
            "which already belongs to an account. Nothing was changed. If it was you, sign in "
            f"with this address instead.{_SIGNATURE}"
        ),
        sensitive=False,
    )


async def send_org_invitation(
    session: AsyncSession,
    settings: Settings,
    *,
    to: str,
    organization: str,
    role: str,
    token: str,
    expires_at: datetime,
) -> None:
    url = link(settings, "join-organization", token)
    role_name = role.replace("_", " ")
    await queue_email(
        session,
        to=to,
        subject=f"You are invited to join {organization} on Campus",
        text=(
            f"Hello,\n\nYou are invited to join {organization} on Campus as {role_name}. Sign "
            f"in (or create your account) with this email address, then open this link before "
            f"{expires_at:%Y-%m-%d %H:%M} UTC:\n\n{url}\n\nThe link works once. If you did not "
            f"expect this invitation, ignore this message.{_SIGNATURE}"
        ),
    )
