"""Certificate templates: who manages them, unknown placeholders, the preview, and a template
in the learner's language on the certificate."""

from __future__ import annotations

import io
from typing import Any

import pypdf
from httpx import AsyncClient
from PIL import Image

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


def png(width: int, height: int, colour: str = "#ddeeff") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format="PNG")
    return out.getvalue()


async def test_template_images_are_checked_by_content_size_and_pixels(
    learning: LearningFactory, client: AsyncClient
) -> None:
    cast = await learning.cast()
    created = (await client.post(URL, json=template(), headers=cast.admin.headers)).json()
    url = f"{URL}/{created['id']}/images"

    async def put(kind: str, name: str, data: bytes, mime: str = "image/png") -> Any:
        return await client.put(
            f"{url}/{kind}", files={"file": (name, data, mime)}, headers=cast.admin.headers
        )

    accepted = await put("background", "paper.png", png(400, 300))
    assert accepted.status_code == 200, accepted.text
    assert set(accepted.json()["images"]) == {"background"}
    assert (await put("logo", "evil.png", b"<svg onload=alert(1)></svg>")).status_code == 415
    assert (await put("logo", "page.png", b"%PDF-1.4\n%%EOF\n")).status_code == 415
    noise = Image.effect_noise((1100, 1100), 100).convert("RGB")
    big = io.BytesIO()
    noise.save(big, format="PNG", compress_level=0)
    assert len(big.getvalue()) > 2 * 1_048_576
    too_big = await put("background", "huge.png", big.getvalue())
    assert too_big.status_code == 413
    bomb = io.BytesIO()
    Image.new("1", (9000, 9000)).save(bomb, format="PNG")  # tiny file, 81 megapixels
    refused = await put("logo", "bomb.png", bomb.getvalue())
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "image_too_large"
    assert (await put("stamp", "x.png", png(10, 10))).status_code == 422
    other = await client.put(
        f"{url}/logo",
        files={"file": ("l.png", png(10, 10), "image/png")},
        headers=cast.owner.headers,
    )
    assert other.status_code == 404

    preview = await client.get(f"{URL}/{created['id']}/preview.pdf", headers=cast.admin.headers)
    assert preview.status_code == 200
    reader = pypdf.PdfReader(io.BytesIO(preview.content))
    assert list(reader.pages[0].images)  # the background is drawn


async def test_the_certificate_is_in_the_learners_language_when_the_template_has_it(
    learning: LearningFactory, relay: Relay, client: AsyncClient
) -> None:
    cast, course = await published_course(learning)
    created = (await client.post(URL, json=template(), headers=cast.admin.headers)).json()
    await set_rule(client, cast.owner, course, templateId=created["id"])
    texts = {}
    for name, language in (("Camille", "fr-CA"), ("Jonas", "de")):
        learner = await learning.learner(name)
        chosen = await client.patch(
            f"{API}/users/me", json={"settings": {"language": language}}, headers=learner.headers
        )
        assert chosen.status_code == 200, chosen.text
        await complete(learning, relay, course, learner)
        [certificate] = await my_certificates(client, learner)
        assert certificate["language"] == language
        link = await client.get(
            f"{API}/certificates/{certificate['id']}/download", headers=learner.headers
        )
        pdf = (await client.get(link.json()["url"])).content
        texts[name] = pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    # fr-CA takes the template's French; German, which it lacks, its default (English).
    assert "Certificat de réussite" in texts["Camille"]
    assert "Certificate of Achievement" not in texts["Camille"]
    assert "Certificate of Achievement" in texts["Jonas"]
