"""The credentials demo data: a template, Maria's certificate of the Python course she
completed, a revoked one, and Maria's Python track badge; seeding twice changes nothing."""

from __future__ import annotations

import sqlalchemy as sa

from campus.credentials.models import Badge, Certificate, CertificateTemplate
from tests.fixtures.demo import DemoWorld


async def test_the_demo_has_a_template_an_issued_and_a_revoked_certificate(demo: DemoWorld) -> None:
    async with demo.db.read_session() as session:
        templates = list(await session.scalars(sa.select(CertificateTemplate.name)))
        badges = list(await session.execute(sa.select(Badge.kind, Badge.name)))
        rows = [
            (c.learner_name, c.course_title, c.status, c.revocation_reason)
            for c in await session.scalars(
                sa.select(Certificate).order_by(Certificate.learner_name)
            )
        ]
    assert templates == ["Campus classic"]
    assert [(name, status) for name, _, status, _ in rows] == [
        ("Kenji Tanaka", "revoked"),
        ("Maria Garcia", "issued"),
    ]
    assert rows[0][3] == "Issued in error (demo)"
    assert [tuple(b) for b in badges] == [("track", "Python Programming track")]
