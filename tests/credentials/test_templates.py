"""Certificate templates: who manages them, unknown placeholders, the preview, and a template
in the learner's language on the certificate."""

from __future__ import annotations

import io
from typing import Any

import pypdf
from httpx import AsyncClient

from campus.kernel.jobs import Relay
from tests.credentials.helpers import complete, my_certificates, published_course, set_rule
from tests.fixtures.catalog import API
from tests.fixtures.learning import LearningFactory

URL = f"{API}/certificate-templates"


def template(**fields: Any) -> dict[str, Any]:
    return {
        "name": "Classic",
        "orientation": "portrait",
        "pageSize": "Letter",
        "colours": {"primary": "#003366", "accent": "#aa7700"},
        "texts": {
            "en": {
                "title": "Certificate of Achievement",
                "body": "{learner_name} completed {course_title} with {score} % "
                "({hours} hours), taught by {instructor_names}.",
            },
            "fr": {"title": "Certificat de réussite", "body": "{learner_name} a terminé."},
        },
        "signers": [{"name": "Grace Hopper", "title": "Dean"}],
        **fields,
    }


async def test_admins_manage_any_template_and_instructors_only_their_courses(
    learning: LearningFactory, client: AsyncClient
) -> None:
    cast, course = await published_course(learning)
    platform = await client.post(URL, json=template(), headers=cast.admin.headers)
    assert platform.status_code == 201, platform.text
    for who in (cast.student, cast.owner):
        refused = await client.post(URL, json=template(), headers=who.headers)
        assert refused.status_code == 403, who.roles
    own = await client.post(URL, json=template(courseId=course.id), headers=cast.owner.headers)
    assert own.status_code == 201, own.text
    foreign = await client.post(URL, json=template(courseId=course.id), headers=cast.other.headers)
    assert foreign.status_code == 403
    hidden = await client.get(f"{URL}/{platform.json()['id']}", headers=cast.owner.headers)
    assert hidden.status_code == 404
    listed = await client.get(URL, params={"courseId": course.id}, headers=cast.owner.headers)
    assert [t["id"] for t in listed.json()["items"]] == [own.json()["id"]]
    gone = await client.delete(f"{URL}/{own.json()['id']}", headers=cast.owner.headers)
    assert gone.status_code == 204


async def test_unknown_placeholders_and_bad_colours_are_refused(
    learning: LearningFactory, client: AsyncClient
) -> None:
    cast = await learning.cast()
    unknown = await client.post(
        URL,
        json=template(texts={"en": {"body": "Hello {learner_name} {password}"}}),
        headers=cast.admin.headers,
    )
    assert unknown.status_code == 422
    error = unknown.json()["error"]
    assert error["code"] == "unknown_placeholder"
    assert "password" in error["details"]["fields"]["texts.en.body"]
    unbalanced = await client.post(
        URL,
        json=template(texts={"en": {"body": "Hello {learner_name"}}),
        headers=cast.admin.headers,
    )
    assert unbalanced.status_code == 422
    colour = await client.post(
        URL, json=template(colours={"primary": "red; evil"}), headers=cast.admin.headers
    )
    assert colour.status_code == 422


async def test_the_preview_is_a_pdf_with_sample_data_in_the_chosen_language(
    learning: LearningFactory, client: AsyncClient
) -> None:
    cast = await learning.cast()
    created = (await client.post(URL, json=template(), headers=cast.admin.headers)).json()
    preview = await client.get(
        f"{URL}/{created['id']}/preview.pdf", params={"language": "fr"}, headers=cast.admin.headers
    )
    assert preview.status_code == 200
    assert preview.headers["content-type"] == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(preview.content))
    text = reader.pages[0].extract_text()
    assert "Certificat de réussite" in text
    assert "Zoë Ångström-Łukasiewicz" in text
    width, height = reader.pages[0].mediabox.width, reader.pages[0].mediabox.height
    assert (round(float(width)), round(float(height))) == (612, 792)  # Letter, portrait


async def test_a_course_template_shapes_its_certificates(
    learning: LearningFactory, relay: Relay, client: AsyncClient
) -> None:
    cast, course = await published_course(learning)
    created = (await client.post(URL, json=template(), headers=cast.admin.headers)).json()
    await set_rule(client, cast.owner, course, templateId=created["id"])
    learner = await learning.learner("Nadia")
    await complete(learning, relay, course, learner)
    [certificate] = await my_certificates(client, learner)
    link = await client.get(
        f"{API}/certificates/{certificate['id']}/download", headers=learner.headers
    )
    pdf = (await client.get(link.json()["url"])).content
    text = pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "Certificate of Achievement" in text
    assert "Grace Hopper" in text
    assert f"{certificate['learnerName']} completed {course.data['title']}" in text.replace(
        "\n", " "
    )
