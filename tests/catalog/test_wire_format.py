"""The public list, course page and track page are built as plain dicts and serialised once
(no model validation on the hot path); their bodies are byte for byte what the documented
response models serialise, in every language variant."""

from __future__ import annotations

from httpx import AsyncClient
from pydantic import BaseModel

from campus.catalog.endpoints.public import TrackList
from campus.catalog.schemas.courses import CourseDetail, CoursePage, TrackDetail
from tests.fixtures.catalog import API, CatalogFactory, ok


def assert_is_model_output(model: type[BaseModel], body: bytes) -> None:
    parsed = model.model_validate_json(body)
    assert parsed.model_dump_json(by_alias=True).encode() == body


async def test_public_bodies_are_exactly_what_the_response_models_serialise(
    client: AsyncClient, catalog: CatalogFactory
) -> None:
    cast = await catalog.cast()
    category = await catalog.category(cast.admin, name="Botany")
    course = await catalog.draft(
        cast.owner,
        modules=2,
        lessons=2,
        title="Ferns",
        subtitle="Shade lovers",
        description="Spores, fronds and rhizomes.",
        categoryId=category["id"],
        tags=["Plants", "Shade"],
        price={"amount": "19.99", "currency": "USD"},
        pricingTiers=[
            {"tier": "basic", "price": {"amount": "19.99", "currency": "USD"}},
            {
                "tier": "pro",
                "price": {"amount": "39.00", "currency": "USD"},
                "originalPrice": {"amount": "59.00", "currency": "USD"},
                "features": ["Certificate"],
            },
        ],
        requirements=["A pot"],
        objectives=["Grow a fern"],
        track={"slug": "ferns", "name": "Ferns"},
    )
    cid = course["id"]
    headers = cast.owner.headers
    await catalog.set_co_instructors(cast.owner, cid, cast.co)
    module = course["curriculum"][0]
    preview = module["lessons"][0]
    ok(
        await client.patch(
            f"{API}/courses/{cid}/lessons/{preview['id']}",
            json={
                "isPreview": True,
                "body": "Look under the fronds.",
                "videoUrl": "https://videos.example.com/ferns.mp4",
                "contentUrls": [{"type": "pdf", "url": "https://files.example.com/ferns.pdf"}],
            },
            headers=headers,
        )
    )
    ok(
        await client.put(
            f"{API}/courses/{cid}/translations/fr",
            json={"title": "Fougères", "description": "Spores et frondes."},
            headers=headers,
        )
    )
    ok(
        await client.put(
            f"{API}/courses/{cid}/modules/{module['id']}/translations/fr",
            json={"title": "Les bases", "description": "Pour commencer."},
            headers=headers,
        )
    )
    ok(
        await client.put(
            f"{API}/courses/{cid}/lessons/{preview['id']}/translations/fr",
            json={"title": "Regarder", "body": "Sous les frondes."},
            headers=headers,
        )
    )
    await catalog.publish(cast.owner, cast.admin, cid)
    await catalog.published(cast.other, cast.admin, title="Mosses")

    checks: list[tuple[type[BaseModel], str, dict[str, str]]] = [
        (CoursePage, "/courses", {}),
        (CoursePage, "/courses?lang=fr&limit=1", {}),
        (CoursePage, "/courses?q=fern", {"Accept-Language": "fr-CA, en;q=0.5"}),
        (CoursePage, f"/instructors/{cast.owner.id}/courses", {}),
        (CourseDetail, f"/courses/{cid}", {}),
        (CourseDetail, f"/courses/{course['slug']}?lang=fr", {}),
        (CourseDetail, f"/courses/{cid}", {"Accept-Language": "de, fr;q=0.5"}),
        (TrackList, "/tracks", {}),
        (TrackDetail, "/tracks/ferns?lang=fr", {}),
    ]
    for model, path, extra in checks:
        response = await client.get(API + path, headers=extra)
        assert response.status_code == 200, path
        assert_is_model_output(model, response.content)

    french = ok(await client.get(f"{API}/courses/{cid}?lang=fr"))
    assert french["curriculum"][0]["description"] == "Pour commencer."
    lesson = french["curriculum"][0]["lessons"][0]
    assert (lesson["title"], lesson["body"]) == ("Regarder", "Sous les frondes.")
    assert lesson["contentUrls"] == [{"type": "pdf", "url": "https://files.example.com/ferns.pdf"}]
    assert [(i["userId"], i["isPrimary"]) for i in french["instructors"]] == [
        (str(cast.owner.id), True),
        (str(cast.co.id), False),
    ]
    assert [t["tier"] for t in french["pricingTiers"]] == ["basic", "pro"]
    assert french["tags"] == [
        {"slug": "plants", "label": "Plants"},
        {"slug": "shade", "label": "Shade"},
    ]
