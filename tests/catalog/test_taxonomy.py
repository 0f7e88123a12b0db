"""Categories (a tree managed by category:manage) and tags (normalised, case-insensitive unique)."""

from __future__ import annotations

from httpx import AsyncClient

from campus.catalog.text import label_key, normalize_label, slugify
from tests.fixtures.catalog import API, CatalogFactory, ok

FULL_WIDTH_PYTHON = "\uff50\uff59\uff54\uff48\uff4f\uff4e"  # NFKC: "python"


def test_labels_are_nfkc_trimmed_collapsed_and_compared_without_case() -> None:
    assert normalize_label("  Machine \t  Learning ") == "Machine Learning"
    assert normalize_label(FULL_WIDTH_PYTHON) == "python"  # full-width letters (NFKC)
    assert label_key("Machine  LEARNING") == label_key("machine learning")
    assert label_key("Straße") == label_key("STRASSE")
    assert slugify("C++") == "c-plus-plus"
    assert slugify("C#") == "c-sharp"
    assert slugify("Über Café") == "uber-cafe"
    assert slugify("日本語") == "course"
    assert slugify("01a200b0-7f17-76ae-81b0-95f58be3f36f").endswith("-course")  # never an id


async def test_tags_on_courses_are_created_once_per_case_insensitive_label(
    client: AsyncClient, catalog: CatalogFactory
) -> None:
    cast = await catalog.cast()
    first = await catalog.course(cast.owner, tags=["Machine Learning", "python", "PYTHON"])
    second = await catalog.course(cast.other, tags=["machine   learning", FULL_WIDTH_PYTHON, "C++"])
    assert [t["label"] for t in first["tags"]] == ["Machine Learning", "python"]
    assert [t["slug"] for t in second["tags"]] == ["machine-learning", "python", "c-plus-plus"]
    tags = ok(await client.get(f"{API}/tags?limit=100"))
    assert sorted(t["slug"] for t in tags["items"]) == ["c-plus-plus", "machine-learning", "python"]
    prefix = ok(await client.get(f"{API}/tags?q=MACH"))
    assert [t["slug"] for t in prefix["items"]] == ["machine-learning"]


async def test_tag_management_keeps_labels_unique_and_courses_in_step(
    client: AsyncClient, catalog: CatalogFactory
) -> None:
    cast = await catalog.cast()
    headers = cast.admin.headers
    created = ok(
        await client.post(f"{API}/tags", json={"label": " Data  Science "}, headers=headers), 201
    )
    assert (created["label"], created["slug"]) == ("Data Science", "data-science")
    duplicate = await client.post(f"{API}/tags", json={"label": "DATA science"}, headers=headers)
    assert duplicate.status_code == 409
    assert duplicate.json()["error"]["code"] == "tag_exists"
    course = await catalog.published(cast.owner, cast.admin, tags=["data science"])
    assert ok(await client.get(f"{API}/courses?tag=data-science"))["total"] == 1
    assert ok(await client.get(f"{API}/courses?q=data"))["total"] == 1
    renamed = ok(
        await client.patch(
            f"{API}/tags/{created['id']}", json={"label": "Analytics"}, headers=headers
        )
    )
    assert renamed["label"] == "Analytics"
    assert ok(await client.get(f"{API}/courses?q=analytics"))["total"] == 1
    counted = ok(await client.get(f"{API}/tags?q=analytics"))["items"][0]
    assert counted["courseCount"] == 1
    ok(await client.delete(f"{API}/tags/{created['id']}", headers=headers), 204)
    detail = ok(await client.get(f"{API}/courses/{course['id']}"))
    assert detail["tags"] == []
    assert ok(await client.get(f"{API}/courses?q=analytics"))["total"] == 0
    ok(await client.delete(f"{API}/tags/{created['id']}", headers=headers), 404)


async def test_category_management(client: AsyncClient, catalog: CatalogFactory) -> None:
    cast = await catalog.cast()
    headers = cast.admin.headers
    parent = await catalog.category(cast.admin, name="Design", color="#aa33ff", icon="palette")
    assert (parent["slug"], parent["color"]) == ("design", "#AA33FF")
    child = await catalog.category(cast.admin, name="UI & UX", parentId=parent["id"], sortOrder=2)
    assert child["slug"] == "ui-and-ux"
    taken = await client.post(f"{API}/categories", json={"name": "Design"}, headers=headers)
    assert taken.status_code == 409
    assert taken.json()["error"]["code"] == "slug_taken"
    bad_colour = await client.post(
        f"{API}/categories", json={"name": "X", "color": "red"}, headers=headers
    )
    assert bad_colour.status_code == 422
    in_use = await client.delete(f"{API}/categories/{parent['id']}", headers=headers)
    assert in_use.status_code == 409
    assert in_use.json()["error"]["code"] == "category_in_use"
    await catalog.course(cast.owner, categoryId=child["id"])
    in_use = await client.delete(f"{API}/categories/{child['id']}", headers=headers)
    assert in_use.status_code == 409
    hidden = ok(
        await client.patch(
            f"{API}/categories/{child['id']}", json={"isActive": False}, headers=headers
        )
    )
    assert hidden["isActive"] is False
    tree = ok(await client.get(f"{API}/categories"))["items"]
    assert [n["slug"] for n in tree] == ["design"]
    assert tree[0]["children"] == []  # inactive categories leave the public tree
    root = ok(
        await client.patch(
            f"{API}/categories/{child['id']}", json={"parentId": None}, headers=headers
        )
    )
    assert root["parentId"] is None
    unused = await catalog.category(cast.admin, name="Unused")
    ok(await client.delete(f"{API}/categories/{unused['id']}", headers=headers), 204)
    ok(await client.delete(f"{API}/categories/{unused['id']}", headers=headers), 404)
