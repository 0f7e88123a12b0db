"""Translations: ?lang= or Accept-Language (q-values) picks the language, falling back to the
course's own; responses say what they served (``language`` and ``Content-Language``)."""

from __future__ import annotations

import uuid

from httpx import AsyncClient

from campus.catalog import api as catalog_api
from campus.catalog.i18n import choose, parse_accept_language
from campus.kernel.db import Database
from tests.fixtures.catalog import API, CatalogFactory, ok


def test_accept_language_is_ordered_by_quality_and_ignores_junk() -> None:
    header = "de;q=0.5, fr-CA, en;q=0.8, *;q=0.1, zz-??, es;q=0, it;q=abc"
    assert parse_accept_language(header) == ("fr-CA", "en", "de")
    assert parse_accept_language("") == ()
    assert parse_accept_language("x" * 10_000) == ()


def test_choose_prefers_exact_then_the_same_primary_language_then_the_default() -> None:
    assert choose(["fr", "de"], "en", ("fr-CA",)) == "fr"
    assert choose(["pt-BR"], "en", ("pt",)) == "pt-BR"
    assert choose(["pt-BR", "pt-PT"], "en", ("pt-PT",)) == "pt-PT"
    assert choose(["fr"], "en", ("ja", "fr")) == "fr"
    assert choose(["fr"], "en", ("ja",)) == "en"
    assert choose(["fr"], "en-US", ("en-GB",)) == "en-US"


async def test_course_pages_serve_the_requested_language_or_fall_back(
    client: AsyncClient, catalog: CatalogFactory, db: Database
) -> None:
    cast = await catalog.cast()
    course = await catalog.draft(
        cast.owner,
        modules=1,
        lessons=2,
        title="Gardening",
        subtitle="Grow things",
        description="Soil and seeds.",
    )
    cid = course["id"]
    module = course["curriculum"][0]
    preview = module["lessons"][0]
    headers = cast.owner.headers
    ok(
        await client.patch(
            f"{API}/courses/{cid}/lessons/{preview['id']}",
            json={"isPreview": True, "body": "Dig."},
            headers=headers,
        )
    )
    ok(
        await client.put(
            f"{API}/courses/{cid}/translations/fr",
            json={"title": "Jardinage", "description": "Terre et graines."},
            headers=headers,
        )
    )
    ok(
        await client.put(
            f"{API}/courses/{cid}/modules/{module['id']}/translations/FR",
            json={"title": "Les bases"},
            headers=headers,
        )
    )
    ok(
        await client.put(
            f"{API}/courses/{cid}/lessons/{preview['id']}/translations/fr",
            json={"title": "Creuser", "body": "Creusez."},
            headers=headers,
        )
    )
    await catalog.publish(cast.owner, cast.admin, cid)

    french = await client.get(f"{API}/courses/{cid}?lang=fr")
    body = french.json()
    assert french.headers["content-language"] == "fr"
    assert (body["language"], body["title"], body["subtitle"]) == ("fr", "Jardinage", "Grow things")
    assert body["description"] == "Terre et graines."
    assert body["availableLanguages"] == ["en", "fr"]
    assert body["curriculum"][0]["title"] == "Les bases"
    first = body["curriculum"][0]["lessons"][0]
    assert (first["title"], first["body"], first["language"]) == ("Creuser", "Creusez.", "fr")
    untranslated = body["curriculum"][0]["lessons"][1]
    assert untranslated["language"] == "en"

    by_header = await client.get(
        f"{API}/courses/{cid}", headers={"Accept-Language": "de;q=0.9, fr-CA;q=0.8, en;q=0.1"}
    )
    assert by_header.json()["title"] == "Jardinage"
    assert by_header.headers["content-language"] == "fr"
    fallback = await client.get(f"{API}/courses/{cid}", headers={"Accept-Language": "ja"})
    assert (fallback.json()["title"], fallback.headers["content-language"]) == ("Gardening", "en")
    # ?lang= wins over the header.
    forced = await client.get(f"{API}/courses/{cid}?lang=en", headers={"Accept-Language": "fr"})
    assert forced.json()["title"] == "Gardening"
    listing = await client.get(f"{API}/courses?lang=fr")
    assert listing.json()["items"][0]["title"] == "Jardinage"
    assert listing.headers["content-language"] == "fr"
    bad = await client.get(f"{API}/courses?lang=not_a_language!")
    assert bad.status_code == 422

    lesson_id = uuid.UUID(first["id"])
    async with db.read_session() as session:
        content = await catalog_api.get_lesson_content(session, lesson_id, language="fr-BE")
        default = await catalog_api.get_lesson_content(session, lesson_id)
    assert content is not None
    assert default is not None
    assert (content.title, content.body, content.language) == ("Creuser", "Creusez.", "fr")
    assert (default.title, default.body, default.language) == (preview["title"], "Dig.", "en")


async def test_categories_are_served_in_the_requested_language(
    client: AsyncClient, catalog: CatalogFactory
) -> None:
    cast = await catalog.cast()
    category = await catalog.category(cast.admin, name="Cooking")
    ok(
        await client.put(
            f"{API}/categories/{category['id']}/translations/es",
            json={"name": "Cocina"},
            headers=cast.admin.headers,
        )
    )
    spanish = await client.get(f"{API}/categories", headers={"Accept-Language": "es-MX"})
    assert spanish.json()["items"][0]["name"] == "Cocina"
    assert spanish.json()["items"][0]["language"] == "es"
    english = await client.get(f"{API}/categories")
    assert english.json()["items"][0]["name"] == "Cooking"
    ok(
        await client.delete(
            f"{API}/categories/{category['id']}/translations/es", headers=cast.admin.headers
        ),
        204,
    )
    again = await client.get(f"{API}/categories?lang=es")
    assert again.json()["items"][0]["name"] == "Cooking"


async def test_a_translation_in_the_course_language_or_with_a_bad_code_is_refused(
    client: AsyncClient, catalog: CatalogFactory
) -> None:
    cast = await catalog.cast()
    course = await catalog.course(cast.owner, language="de")
    url = f"{API}/courses/{course['id']}/translations"
    same = await client.put(f"{url}/de", json={"title": "X"}, headers=cast.owner.headers)
    assert same.status_code == 422
    for code in ("x", "english!", "e" * 40):
        response = await client.put(
            f"{url}/{code}", json={"title": "X"}, headers=cast.owner.headers
        )
        assert response.status_code == 422, code
    missing = await client.delete(f"{url}/fr", headers=cast.owner.headers)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "translation_not_found"
