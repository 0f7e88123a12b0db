"""Community's settings section (``CAMPUS_COMMUNITY_*``)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from campus.kernel.module import SettingsSection


class CommunitySettings(SettingsSection):
    """Thread depth, the content filter, posting rate limits and review moderation."""

    model_config = SettingsConfigDict(env_prefix="CAMPUS_COMMUNITY_", extra="ignore", frozen=True)

    #: Deepest reply nesting (0: replies to the topic only).
    max_depth: int = Field(default=4, ge=0, le=20)
    #: Blocked words (comma-separated, case-insensitive, whole words): content holding one is
    #: flagged for moderation (kept, not dropped).
    blocked_words: str = ""
    #: Links in content from accounts younger than ``new_account_hours`` are flagged.
    flag_links_from_new_accounts: bool = True
    new_account_hours: int = Field(default=24, ge=0, le=24 * 365)
    #: Topics and posts per user and hour; beyond them the content is kept and flagged.
    topics_per_hour: int = Field(default=10, ge=1)
    posts_per_hour: int = Field(default=60, ge=1)
    #: The same for accounts younger than ``new_account_hours``.
    new_account_topics_per_hour: int = Field(default=2, ge=1)
    new_account_posts_per_hour: int = Field(default=10, ge=1)
    #: Approve a review at once when the filter finds nothing in it.
    auto_approve_reviews: bool = False
    #: The progress (percent) a learner needs to rate a course (0: enrolled is enough).
    min_progress_to_rate: int = Field(default=0, ge=0, le=100)
