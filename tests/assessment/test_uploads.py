"""Uploads (UP-01/04/05/06): size limits to the byte, type from content, hostile file names,
storage under server ids only, downloads as attachments with nosniff to the right people."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

from httpx import AsyncClient

from tests.fixtures.assessment import API, AssessmentFactory, World
from tests.fixtures.catalog import ok, ok_object

PDF = b"%PDF-1.7\n" + b"0" * 200 + b"\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
HTML = b"<!DOCTYPE html><html><script>alert(1)</script></html>"


def _docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


async def _draft(
    assessment: AssessmentFactory, client: AsyncClient, world: World, **fields: Any
) -> dict[str, Any]:
    work = await assessment.assignment(world, **fields)
    url = f"{API}/assignments/{work['id']}/submissions"
    return ok_object(await client.post(url, json={}, headers=world.learner.headers), 201)


def _files_under(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


async def test_one_byte_over_the_assignment_limit_is_413_and_the_limit_itself_fits(
    assessment: AssessmentFactory, client: AsyncClient, data_dir: Path
) -> None:
    world = await assessment.world()
    draft = await _draft(assessment, client, world, maxFileBytes=1024, allowedFileTypes=["text"])
    over = await assessment.upload(world.learner, draft["id"], "notes.txt", b"a" * 1025)
    assert over.status_code == 413
    assert over.json()["error"]["code"] == "file_too_large"
    fits = await assessment.upload(world.learner, draft["id"], "notes.txt", b"a" * 1024)
    assert fits.status_code == 201, fits.text
    assert [f["sizeBytes"] for f in fits.json()["files"]] == [1024]
    stored = _files_under(data_dir / "files")
    assert len(stored) == 1
    assert not any(p.name.startswith(".tmp") for p in stored)


async def test_bodies_over_the_global_upload_limit_are_refused_before_reading(
    assessment: AssessmentFactory, client: AsyncClient
) -> None:
    world = await assessment.world()
    draft = await _draft(assessment, client, world)
    limit = assessment.app.state.settings.upload_max_bytes
    huge = await assessment.upload(world.learner, draft["id"], "big.txt", b"a" * (limit + 70_000))
    assert huge.status_code == 413
    # Non-upload routes keep the small global body limit.
    big_json = await client.patch(
        f"{API}/submissions/{draft['id']}",
        json={"textAnswer": "a" * 1_100_000},
        headers=world.learner.headers,
    )
    assert big_json.status_code == 413


async def test_the_type_comes_from_the_content_not_the_name(
    assessment: AssessmentFactory, client: AsyncClient, data_dir: Path
) -> None:
    world = await assessment.world()
    draft = await _draft(assessment, client, world, maxFiles=10)
    for name, content in (
        ("report.pdf", PNG),
        ("report.pdf", HTML),
        ("page.html", HTML),
        ("notes.txt", HTML),
        ("x.pdf", b"\x00\x01binary"),
    ):
        refused = await assessment.upload(world.learner, draft["id"], name, content)
        assert refused.status_code == 415, (name, refused.text)
        assert refused.json()["error"]["code"] == "file_type_not_allowed"
    assert _files_under(data_dir / "files") == set()
    pdf = ok(await assessment.upload(world.learner, draft["id"], "report.pdf", PDF), 201)
    docx = ok(await assessment.upload(world.learner, draft["id"], "essay.docx", _docx()), 201)
    types = [f["contentType"] for f in docx["files"]]
    assert types == [
        "application/pdf",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ]
    assert pdf["files"][0]["name"] == "report.pdf"
    only_pdf = await _draft(assessment, client, world, allowedFileTypes=["pdf"])
    png = await assessment.upload(world.learner, only_pdf["id"], "shot.png", PNG)
    assert png.status_code == 415


async def test_hostile_names_never_become_paths(
    assessment: AssessmentFactory, client: AsyncClient, data_dir: Path
) -> None:
    world = await assessment.world()
    draft = await _draft(assessment, client, world, maxFiles=10, allowedFileTypes=["pdf"])
    names = [
        "../../etc/passwd.pdf",
        "/etc/passwd.pdf",
        "..\\..\\win.pdf",
        "a\x00b.pdf",
        "x" * 600 + ".pdf",
        "....pdf",
    ]
    outside = data_dir.resolve().parent.parent  # the run's temporary root, around data_dir
    before = set(outside.rglob("*"))
    for name in names:
        response = await assessment.upload(world.learner, draft["id"], name, PDF)
        assert response.status_code == 201, (name[:40], response.text[:200])
    # A name too long for the multipart parser is a 400, and nothing is written.
    too_long = await assessment.upload(world.learner, draft["id"], "y" * 20_000 + ".pdf", PDF)
    assert too_long.status_code in (201, 400)
    files = ok(await client.get(f"{API}/submissions/{draft['id']}", headers=world.learner.headers))[
        "files"
    ]
    shown = [f["name"] for f in files]
    assert all("/" not in n and "\\" not in n and "\x00" not in n and len(n) <= 120 for n in shown)
    root = (data_dir / "files" / "assessment").resolve()
    stored = _files_under(data_dir / "files")
    assert len(stored) == len(names) + (too_long.status_code == 201)
    assert all(p.resolve().is_relative_to(root) and len(p.name) == 32 for p in stored)
    assert {f["id"].replace("-", "") for f in files} == {p.name for p in stored}
    created = {p for p in set(outside.rglob("*")) - before if p.is_file()}
    assert created
    assert all(p.resolve().is_relative_to(root) for p in created)


async def test_downloads_are_attachments_with_nosniff_for_the_submitter_and_staff_only(
    assessment: AssessmentFactory, client: AsyncClient
) -> None:
    world = await assessment.world()
    draft = await _draft(assessment, client, world)
    uploaded = ok(
        await assessment.upload(world.learner, draft["id"], 'evil"name.txt', b"hello"), 201
    )
    url = uploaded["files"][0]["downloadUrl"]
    for who in (world.learner, world.instructor, world.admin):
        response = await client.get(url, headers=who.headers)
        assert response.status_code == 200
        assert response.content == b"hello"
        assert response.headers["content-disposition"].startswith("attachment")
        assert response.headers["x-content-type-options"] == "nosniff"
    for spy in (world.other_learner, world.other_instructor, world.outsider):
        assert (await client.get(url, headers=spy.headers)).status_code == 404
    assert (await client.get(url)).status_code == 401


async def test_exam_resources_are_downloadable_by_enrolled_learners(
    assessment: AssessmentFactory, client: AsyncClient
) -> None:
    world = await assessment.world()
    exam = await assessment.assignment(world, "exams")
    resource = ok(
        await client.post(
            f"{API}/exams/{exam['id']}/resources",
            files={"file": ("brief.pdf", PDF, "application/pdf")},
            headers=world.instructor.headers,
        ),
        201,
    )
    refused = await client.post(
        f"{API}/exams/{exam['id']}/resources",
        files={"file": ("brief.pdf", PDF, "application/pdf")},
        headers=world.learner.headers,
    )
    assert refused.status_code == 403
    listed = ok(await client.get(f"{API}/exams/{exam['id']}", headers=world.learner.headers))
    assert [r["id"] for r in listed["resources"]] == [resource["id"]]
    download = await client.get(resource["downloadUrl"], headers=world.learner.headers)
    assert download.status_code == 200
    assert download.content == PDF
    assert (
        await client.get(resource["downloadUrl"], headers=world.outsider.headers)
    ).status_code == 404
