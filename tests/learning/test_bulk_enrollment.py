"""Bulk enrollment from CSV: good, duplicate and broken rows get their own results without
failing the file; a file that is not a usable CSV is a clean 4xx and stores nothing."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from httpx import AsyncClient, Response

from campus.kernel.db import Database
from campus.kernel.jobs import Relay
from campus.learning.models import BulkBatch, BulkRow
from tests.fixtures.catalog import API, ok
from tests.fixtures.identity import AppUser
from tests.fixtures.learning import LearningFactory

URL = f"{API}/admin/enrollments/bulk"


async def upload(
    client: AsyncClient, who: AppUser, content: bytes, name: str = "learners.csv"
) -> Response:
    return await client.post(URL, files={"file": (name, content, "text/csv")}, headers=who.headers)


async def stored_batches(db: Database) -> tuple[int, int]:
    async with db.read_session() as session:
        batches = await session.scalar(sa.select(sa.func.count()).select_from(BulkBatch))
        rows = await session.scalar(sa.select(sa.func.count()).select_from(BulkRow))
    return int(batches or 0), int(rows or 0)


async def test_a_csv_with_good_duplicate_and_broken_rows_enrolls_the_good_ones(
    learning: LearningFactory, client: AsyncClient, relay: Relay
) -> None:
    cast = await learning.cast()
    free = await learning.course(cast.owner, cast.admin, title="Free Course")
    paid = await learning.paid_course(cast.owner, cast.admin)
    draft = await learning.draft(cast.owner)
    ada, bob, cyd = [await learning.learner(n) for n in ("Ada", "Bob", "Cyd")]
    already = await learning.learner("Dee")
    await learning.enroll(already, free)
    csv_text = "\n".join(
        [
            "Email,Course,Mode,Expiry",
            f"{ada.email},{free.id},free,",
            f"{bob.email.upper()},{free.data['slug']},free,2099-12-31",
            f"{ada.email},{free.id},free,",  # duplicate of row 2
            f"{already.email},{free.id},free,",
            f"{cyd.email},{paid.id},grant,2099-01-01T12:00:00Z",
            f"{cyd.email},{paid.id},free,",  # not a free course
            f"nobody@example.com,{free.id},free,",
            f"{ada.email},no-such-course,free,",
            f"{ada.email},{draft['id']},free,",
            "not-an-email,x,free,",
            f"{ada.email},{free.id},swap,",
            f"{ada.email},{free.id},free,yesterday",
            f"{ada.email},{free.id},free,2001-01-01",
            f"{ada.email},{free.id}",
            "",
        ]
    )
    queued = ok(await upload(client, cast.admin, csv_text.encode()), 202)
    assert (queued["status"], queued["totalRows"], queued["fileName"]) == (
        "pending",
        14,
        "learners.csv",
    )
    await relay.drain()
    batch = ok(await client.get(f"{URL}/{queued['id']}?limit=100", headers=cast.admin.headers))
    assert batch["status"] == "done"
    results = {r["rowNumber"]: (r["result"], r["reason"]) for r in batch["rows"]["items"]}
    assert results == {
        2: ("created", None),
        3: ("created", None),
        4: ("already_enrolled", None),
        5: ("already_enrolled", None),
        6: ("created", None),
        7: ("bad_row", "course_not_free"),
        8: ("unknown_email", None),
        9: ("unknown_course", None),
        10: ("bad_row", "course_draft"),
        11: ("bad_row", "invalid_email"),
        12: ("bad_row", "invalid_mode"),
        13: ("bad_row", "invalid_expiry"),
        14: ("bad_row", "expiry_in_past"),
        15: ("bad_row", "wrong_field_count"),
    }
    assert batch["counts"] == {
        "created": 3,
        "already_enrolled": 2,
        "unknown_email": 1,
        "unknown_course": 1,
        "bad_row": 7,
    }
    assert (await learning.enroll_response(cyd, paid.id)).status_code == 200  # granted
    bob_row = next(r for r in batch["rows"]["items"] if r["rowNumber"] == 3)
    bob_enrollment = await learning.enrollment(cast.admin, bob_row["enrollmentId"])
    assert bob_enrollment["expiresAt"].startswith("2100-01-01")
    assert len(await learning.enrollment_rows(free.id)) == 3
    await relay.drain()
    assert await learning.enrollment_count_on_course(free.id) == 3


async def test_files_that_are_not_a_usable_csv_are_refused_and_store_nothing(
    learning: LearningFactory, client: AsyncClient, db: Database
) -> None:
    cast = await learning.cast()
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))
    cases: list[tuple[bytes, int, str]] = [
        (png, 415, "not_csv"),
        ("café".encode("latin-1") + b"\nx", 415, "not_csv"),
        (b"name,age\nada,3\n", 422, "csv_bad_header"),
        (b"email,course,mode,mode\n", 422, "csv_bad_header"),
        (b"email,course,mode,extra\n", 422, "csv_bad_header"),
        (b"email,course,mode\n", 422, "csv_empty"),
        (b"", 422, "csv_bad_header"),
        (b'email,course,mode\n"unterminated,x,free\n', 422, "csv_malformed"),
        (b"email,course,mode\n" + b"a@b.co,c,free\n" * 5001, 422, "csv_too_many_rows"),
        (b"email,course,mode\n" + b"x" * (600 * 1024), 413, "csv_too_large"),
        (b"email,course,mode\n" + b"x" * (1100 * 1024), 413, "payload_too_large"),
    ]
    for content, status, code in cases:
        response = await upload(client, cast.admin, content)
        assert response.status_code == status, (code, response.text[:300])
        assert response.json()["error"]["code"] == code
    wrong_type = await client.post(
        URL, json={"file": "email,course,mode"}, headers=cast.admin.headers
    )
    assert wrong_type.status_code == 415
    assert await stored_batches(db) == (0, 0)


async def test_only_administrators_upload_and_read_batches(
    learning: LearningFactory, client: AsyncClient, db: Database, relay: Relay
) -> None:
    cast = await learning.cast()
    content = f"email,course,mode\n{cast.student.email},x,free\n".encode()
    for who in (cast.student, cast.owner):
        assert (await upload(client, who, content)).status_code == 403
    assert (
        await client.post(URL, files={"file": ("a.csv", content, "text/csv")})
    ).status_code == 401
    assert await stored_batches(db) == (0, 0)
    batch: dict[str, Any] = ok(await upload(client, cast.admin, content), 202)
    for who in (cast.student, cast.owner):
        denied = await client.get(f"{URL}/{batch['id']}", headers=who.headers)
        assert denied.status_code == 403
    await relay.drain()
    assert (await client.get(f"{URL}/{batch['id']}", headers=cast.admin.headers)).status_code == 200
