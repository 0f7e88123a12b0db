"""Credentials ORM models. Users, courses and versions of other contexts are plain UUID columns,
never foreign keys; relationships: none (every read is an explicit query in ``repository``)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from campus.kernel.clock import utcnow
from campus.kernel.db import Base, IdMixin, JSONDoc, TimestampMixin


class CertificateRule(IdMixin, TimestampMixin, Base):
    """Whether a course version awards a certificate, and on what terms. Without a rule a
    version awards one when its course says ``hasCertificate``, on completion and the
    version's minimum average quiz score."""

    __tablename__ = "credentials_rules"

    course_id: Mapped[uuid.UUID] = mapped_column(index=True)
    version_id: Mapped[uuid.UUID] = mapped_column(unique=True)
    awards: Mapped[bool] = mapped_column(default=True)
    #: ``None``: the version's own minimum.
    min_average_quiz_score: Mapped[int | None] = mapped_column()
    #: Quizzes, assignments, exams or coding exercises the learner must have passed.
    required_item_ids: Mapped[list[str]] = mapped_column(JSONDoc(), default=list)
    manual_approval: Mapped[bool] = mapped_column(default=False)
    template_id: Mapped[uuid.UUID | None] = mapped_column()
    #: Recertification: the certificate expires this many months after issue.
    valid_months: Mapped[int | None] = mapped_column()
    #: Modules (lineage ids) whose completion awards a module badge.
    badge_module_ids: Mapped[list[str]] = mapped_column(JSONDoc(), default=list)
    #: Completing the course awards its track badge (courses that are a track only).
    track_badge: Mapped[bool] = mapped_column(default=False)


class CertificateTemplate(IdMixin, TimestampMixin, Base):
    __tablename__ = "credentials_templates"
    __table_args__ = (
        sa.CheckConstraint("orientation IN ('landscape', 'portrait')", name="orientation"),
        sa.CheckConstraint("page_size IN ('A4', 'Letter')", name="page_size"),
    )

    name: Mapped[str] = mapped_column(sa.String(120))
    owner_id: Mapped[uuid.UUID] = mapped_column()
    course_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    orientation: Mapped[str] = mapped_column(sa.String(10), default="landscape")
    page_size: Mapped[str] = mapped_column(sa.String(6), default="A4")
    #: {"primary": "#1f3a5f", "text": "#222222", "accent": "#c9a227"}
    colours: Mapped[dict[str, str]] = mapped_column(JSONDoc(), default=dict)
    #: {language: {"title": ..., "body": ...}} with ``{placeholders}``.
    texts: Mapped[dict[str, dict[str, str]]] = mapped_column(JSONDoc(), default=dict)
    default_language: Mapped[str] = mapped_column(sa.String(12), default="en")
    #: [{"name": ..., "title": ...}]
    signers: Mapped[list[dict[str, str]]] = mapped_column(JSONDoc(), default=list)
    #: {"background" | "logo" | "signature": stored file id (hex)}
    images: Mapped[dict[str, str]] = mapped_column(JSONDoc(), default=dict)


class Certificate(IdMixin, TimestampMixin, Base):
    """One learner's certificate of one course version (at most one: the unique constraint
    decides races). ``public_id`` and ``verification_code`` are random."""

    __tablename__ = "credentials_certificates"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "version_id"),
        sa.Index("ix_credentials_certificates_course_status", "course_id", "status"),
        sa.CheckConstraint("status IN ('pending', 'issued', 'rejected', 'revoked')", name="status"),
        sa.CheckConstraint("render_status IN ('queued', 'ready', 'failed')", name="render_status"),
    )

    public_id: Mapped[str] = mapped_column(sa.String(26), unique=True)
    number: Mapped[str] = mapped_column(sa.String(40), unique=True)
    verification_code: Mapped[str] = mapped_column(sa.String(14), unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column(index=True)
    course_id: Mapped[uuid.UUID] = mapped_column()
    version_id: Mapped[uuid.UUID] = mapped_column()
    template_id: Mapped[uuid.UUID | None] = mapped_column()
    status: Mapped[str] = mapped_column(sa.String(10))
    learner_name: Mapped[str] = mapped_column(sa.String(500))
    learner_email: Mapped[str] = mapped_column(sa.String(320))
    course_title: Mapped[str] = mapped_column(sa.String(500))
    language: Mapped[str] = mapped_column(sa.String(12), default="en")
    completed_at: Mapped[datetime] = mapped_column()
    issued_at: Mapped[datetime | None] = mapped_column()
    expires_at: Mapped[datetime | None] = mapped_column()
    #: {"score": "87.50" | None, "grade": str | None, "hours": "12.5", "completionTime": ...}
    details: Mapped[dict[str, Any]] = mapped_column(JSONDoc(), default=dict)
    is_public: Mapped[bool] = mapped_column(default=True)
    revoked_at: Mapped[datetime | None] = mapped_column()
    revocation_reason: Mapped[str | None] = mapped_column(sa.Text)
    rejection_reason: Mapped[str | None] = mapped_column(sa.Text)
    #: Position in the revocation status list (allocated at issue).
    status_index: Mapped[int | None] = mapped_column(unique=True)
    revision: Mapped[int] = mapped_column(default=1)
    render_status: Mapped[str] = mapped_column(sa.String(8), default="queued")
    pdf_file_id: Mapped[uuid.UUID | None] = mapped_column()
    png_file_id: Mapped[uuid.UUID | None] = mapped_column()
    rendered_at: Mapped[datetime | None] = mapped_column()


class Badge(IdMixin, Base):
    """An Open Badges 3.0 achievement short of a certificate: a module of a course, or a
    track (a course that is a track, e.g. "Python"). One per learner and subject (the unique
    constraint decides races); ``subject_id`` is the module's lineage id or the course id."""

    __tablename__ = "credentials_badges"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "kind", "subject_id"),
        sa.CheckConstraint("kind IN ('module', 'track')", name="kind"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(sa.String(8))
    subject_id: Mapped[uuid.UUID] = mapped_column()
    course_id: Mapped[uuid.UUID] = mapped_column()
    version_id: Mapped[uuid.UUID] = mapped_column()
    name: Mapped[str] = mapped_column(sa.String(500))
    course_title: Mapped[str] = mapped_column(sa.String(500))
    learner_email: Mapped[str] = mapped_column(sa.String(320))
    issued_at: Mapped[datetime] = mapped_column()


class CertificateHistory(IdMixin, Base):
    """What happened to a certificate: issued, approved, rejected, revoked, reissued."""

    __tablename__ = "credentials_certificate_history"

    certificate_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("credentials_certificates.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(sa.String(20))
    actor_id: Mapped[uuid.UUID | None] = mapped_column()
    at: Mapped[datetime] = mapped_column(default=utcnow)
    detail: Mapped[dict[str, Any]] = mapped_column(JSONDoc(), default=dict)


class CertificateVerification(Base):
    """How often a certificate was verified and when last (nothing about the verifier)."""

    __tablename__ = "credentials_verifications"

    certificate_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("credentials_certificates.id", ondelete="CASCADE"), primary_key=True
    )
    count: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    last_verified_at: Mapped[datetime] = mapped_column()


class PassedItem(Base):
    """A graded item (quiz, assignment, exam, coding exercise) a learner has passed, from the
    grade events; required items of a rule are checked against it."""

    __tablename__ = "credentials_passed_items"

    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    item_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    course_id: Mapped[uuid.UUID] = mapped_column()
    passed_at: Mapped[datetime] = mapped_column()


class Counter(Base):
    """Named counters (the next free index of the revocation status list)."""

    __tablename__ = "credentials_counters"

    name: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    value: Mapped[int] = mapped_column(sa.BigInteger, default=0)


class IssuerKey(Base):
    """The Ed25519 key credentials are signed with, when not configured: generated on first use
    and stored once (the first insert wins)."""

    __tablename__ = "credentials_issuer_keys"

    name: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    private_key_hex: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReissueRun(IdMixin, TimestampMixin, Base):
    """A bulk reissue of every issued certificate of a template (after a template fix), run
    as a chain of jobs of ``CHUNK`` certificates each; ``done`` of ``total`` is its progress."""

    __tablename__ = "credentials_reissue_runs"
    __table_args__ = (sa.CheckConstraint("status IN ('running', 'done')", name="status"),)

    template_id: Mapped[uuid.UUID] = mapped_column(index=True)
    requested_by: Mapped[uuid.UUID] = mapped_column()
    reason: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(8), default="running")
    total: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    #: Certificates created up to this moment are part of the run.
    cutoff: Mapped[datetime] = mapped_column()
