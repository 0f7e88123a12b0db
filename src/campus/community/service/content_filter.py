"""The content filter: blocked words, links from new accounts and posting rate limits. It
flags (the content is kept, marked ``flagged`` and queued for moderation with the reasons);
it never drops anything silently.

An account's age is read from its id: Campus ids are UUIDv7, whose first 48 bits are the
creation time in milliseconds (docs/adr/0037-community-forums-and-moderation.md).
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from campus.community.repository import forums as repo
from campus.community.settings import CommunitySettings
from campus.kernel.clock import utcnow

_LINK = re.compile(r"(?:https?://|www\.)\S+|\]\(\s*[a-z][a-z0-9+.-]*:", re.IGNORECASE)


def created_at_of(user_id: uuid.UUID) -> datetime | None:
    """When the account was created, from its UUIDv7 (None for another id version)."""
    if user_id.version != 7:
        return None
    return datetime.fromtimestamp((user_id.int >> 80) / 1000, tz=UTC)


def is_new_account(settings: CommunitySettings, user_id: uuid.UUID) -> bool:
    created = created_at_of(user_id)
    return created is not None and utcnow() - created < timedelta(hours=settings.new_account_hours)


def blocked_words(settings: CommunitySettings) -> list[str]:
    return [w.strip().casefold() for w in settings.blocked_words.split(",") if w.strip()]


def text_reasons(settings: CommunitySettings, user_id: uuid.UUID, *texts: str | None) -> list[str]:
    """Why the text is flagged (empty: it is not)."""
    reasons: list[str] = []
    joined = "\n".join(t for t in texts if t)
    words = blocked_words(settings)
    if words:
        folded = joined.casefold()
        hits = [w for w in words if re.search(rf"(?<!\w){re.escape(w)}(?!\w)", folded)]
        if hits:
            reasons.append("blocked_words")
    if (
        settings.flag_links_from_new_accounts
        and _LINK.search(joined)
        and is_new_account(settings, user_id)
    ):
        reasons.append("link_from_new_account")
    return reasons


async def rate_reasons(
    session: AsyncSession, settings: CommunitySettings, user_id: uuid.UUID, *, topic: bool
) -> list[str]:
    """``rate_limit`` when the author wrote more topics (posts) in the last hour than allowed:
    stricter for new accounts. One query."""
    new = is_new_account(settings, user_id)
    if topic:
        limit = settings.new_account_topics_per_hour if new else settings.topics_per_hour
    else:
        limit = settings.new_account_posts_per_hour if new else settings.posts_per_hour
    recent = await repo.count_recent_by(
        session, user_id, utcnow() - timedelta(hours=1), topics=topic
    )
    return ["rate_limit"] if recent >= limit else []
