"""Exact query budgets (the same on SQLite and PostgreSQL): the public verification endpoint,
a learner's certificate list, and issuing a certificate from a completion."""

from __future__ import annotations

import uuid

from httpx import AsyncClient

from campus.config import Settings
from campus.credentials.service import issuance
from campus.kernel.clock import utcnow
from campus.kernel.db import Database
from campus.kernel.jobs import Relay
from tests.credentials.helpers import certificates_of, complete, my_certificates, published_course
from tests.fixtures.catalog import API
from tests.fixtures.learning import LearningFactory
from tests.fixtures.queries import count_queries


async def test_verifying_a_certificate_reads_it_once_and_counts_once(
    learning: LearningFactory, relay: Relay, client: AsyncClient, db: Database
) -> None:
    _, course = await published_course(learning)
    learner = await learning.learner("Veda")
    await complete(learning, relay, course, learner)
    [certificate] = await my_certificates(client, learner)
    url = f"{API}/verify/{certificate['publicId']}"
    # The certificate by its public id, the verification count's upsert.
    with count_queries(db, expect=2, what="GET /verify/{publicId}"):
        assert (await client.get(url)).status_code == 200
    with count_queries(db, expect=2, what="GET /verify/{publicId}, again"):
        assert (await client.get(url)).status_code == 200
    # An unknown well-formed id: one look-up, nothing counted; a malformed one: no query.
    with count_queries(db, expect=1, what="unknown id"):
        assert (await client.get(f"{API}/verify/{'0' * 26}")).status_code == 404
    with count_queries(db, expect=0, what="malformed id"):
        assert (await client.get(f"{API}/verify/not-a-public-id")).status_code == 404


async def test_a_learners_certificate_list_runs_a_fixed_number_of_queries(
    learning: LearningFactory, relay: Relay, client: AsyncClient, db: Database
) -> None:
    learner = await learning.learner("Lior")
    for n in range(3):
        _, course = await published_course(learning)
        await complete(learning, relay, course, learner)
        if n == 0:
            # The token check, the count, the page.
            with count_queries(db, expect=3, what="GET /certificates, one") as one:
                assert len(await my_certificates(client, learner)) == 1
    with count_queries(db, expect=len(one), what="GET /certificates, three"):
        assert len(await my_certificates(client, learner)) == 3


async def test_issuing_a_certificate_runs_a_fixed_number_of_queries(
    learning: LearningFactory, relay: Relay, db: Database, settings: Settings
) -> None:
    _, course = await published_course(learning)
    learner = await learning.learner("Noor")
    await learning.enroll(learner, course)
    ids = (learner.id, uuid.UUID(course.id), uuid.UUID(course.version_id))
    # The learner's certificate of the version (none yet); the course and its instructors; the
    # version's rule; its structure for the minimum score (version, course, instructors,
    # modules, lessons); the course's quizzes; the learner and their language; the insert and
    # its history; the new row, the status-list index (one upsert) and its store. The event
    # and the rendering job are outbox rows written with the commit.
    async with db.session() as session:
        with count_queries(db, expect=17, what="issuance"):
            assert await issuance.evaluate(session, settings, *ids, utcnow())
    async with db.session() as session:
        # A repeat (the common case: a replayed or parallel event) stops at one look-up.
        with count_queries(db, expect=1, what="issuance, repeated"):
            assert not await issuance.evaluate(session, settings, *ids, utcnow())
    assert len(await certificates_of(db, learner.id)) == 1
