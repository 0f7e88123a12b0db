"""AC-01: a route-by-role matrix over every catalog route, generated from the app's route table.

Roles: anonymous, student, another instructor, co-instructor, owning instructor, admin. Every
catalog route must have an expectation here (a new route without one fails
``test_every_catalog_route_has_an_expectation``). Denied calls must change nothing; allowed
calls of one-shot actions (deletes, workflow steps) each get a fresh world.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from httpx import AsyncClient

from campus.catalog.data import LessonType
from campus.catalog.httpcache import bump_generation
from campus.catalog.schemas.courses import (
    ApproveRequest,
    AuthoringCourse,
    CourseCreate,
    CourseTranslationIn,
    InstructorsUpdate,
    SubmitRequest,
    TrackIn,
)
from campus.catalog.schemas.structure import (
    LessonCreate,
    LessonTranslationIn,
    LessonUpdate,
    ModuleCreate,
    ModuleTranslationIn,
)
from campus.catalog.schemas.taxonomy import (
    CategoryCreate,
    CategoryOut,
    CategoryTranslationIn,
    TagCreate,
    TagOut,
)
from campus.catalog.service import authoring, publication, structure, taxonomy
from campus.kernel.db import Database
from tests.fixtures.catalog import API, Cast, CatalogFactory, ok, principal

ROLES = ("anonymous", "student", "other", "co", "owner", "admin")
DENIED = {401, 403, 404}


def everyone(status: int) -> dict[str, int]:
    return dict.fromkeys(ROLES, status)


def signed_in(status: int) -> dict[str, int]:
    return {**everyone(status), "anonymous": 401}


def teachers(status: int) -> dict[str, int]:
    """Instructors of the (published) course and admins; others see it but may not act."""
    return {
        "anonymous": 401,
        "student": 403,
        "other": 403,
        "co": status,
        "owner": status,
        "admin": status,
    }


def owner_or_admin(status: int) -> dict[str, int]:
    return {**teachers(status), "co": 403}


def admin_only(status: int) -> dict[str, int]:
    return {**owner_or_admin(status), "owner": 403}


@dataclass
class World:
    course: dict[str, Any]  # published (v1), with a draft v2 in progress, co-instructor, track
    draft: dict[str, Any]  # never published, same owner and co-instructor
    version_id: str
    modules: list[str]  # lineage ids
    lessons: list[str]  # lineage ids of module 1's lessons
    category: dict[str, Any]  # unused: deletable
    tag: dict[str, Any]
    track: str

    def params(self, cast: Cast) -> dict[str, str]:
        return {
            "course_id": self.course["id"],
            "course_ref": self.course["slug"],
            "version_id": self.version_id,
            "module_id": self.modules[0],
            "lesson_id": self.lessons[0],
            "language": "fr",
            "category_id": self.category["id"],
            "category_ref": self.category["slug"],
            "tag_id": self.tag["id"],
            "track_slug": self.track,
            "instructor_id": str(cast.owner.id),
        }


Prepare = Callable[[AsyncClient, Cast, World], Awaitable[None]]
Body = Callable[[Cast, World, str], Any]


@dataclass(frozen=True)
class Spec:
    expect: dict[str, int]
    body: Body | None = None
    #: One-shot actions: each allowed role acts on a fresh world.
    fresh: bool = False
    prepare: Prepare | None = None
    #: Use the never-published draft instead of the published course.
    on_draft: bool = False
    extra: dict[str, str] = field(default_factory=dict)


async def _submit(client: AsyncClient, cast: Cast, world: World) -> None:
    ok(await client.post(f"{API}/courses/{world.course['id']}/submit", headers=cast.owner.headers))


async def _archive(client: AsyncClient, cast: Cast, world: World) -> None:
    url = f"{API}/courses/{world.course['id']}/archive"
    ok(await client.post(url, headers=cast.owner.headers))


def _named(prefix: str) -> Body:
    return lambda cast, world, role: {"name": f"{prefix} {role}"}


SPECS: dict[tuple[str, str], Spec] = {
    # public reads
    ("GET", "/courses"): Spec(everyone(200)),
    ("GET", "/courses/{course_ref}"): Spec(everyone(200)),
    ("GET", "/categories"): Spec(everyone(200)),
    ("GET", "/categories/{category_ref}"): Spec(everyone(200)),
    ("GET", "/tags"): Spec(everyone(200)),
    ("GET", "/tracks"): Spec(everyone(200)),
    ("GET", "/tracks/{track_slug}"): Spec(everyone(200)),
    ("GET", "/instructors/{instructor_id}/courses"): Spec(everyone(200)),
    # authoring
    ("POST", "/courses"): Spec(
        {**signed_in(201), "student": 403}, body=lambda c, w, role: {"title": f"New by {role}"}
    ),
    ("GET", "/authoring/courses"): Spec(signed_in(200)),
    ("GET", "/authoring/courses/{course_id}"): Spec(teachers(200)),
    ("PATCH", "/courses/{course_id}"): Spec(
        teachers(200), body=lambda c, w, role: {"subtitle": f"Edited by {role}"}
    ),
    ("DELETE", "/courses/{course_id}"): Spec(
        {"anonymous": 401, "student": 404, "other": 404, "co": 403, "owner": 204, "admin": 204},
        fresh=True,
        on_draft=True,
    ),
    ("POST", "/courses/{course_id}/submit"): Spec(teachers(200), fresh=True),
    ("POST", "/courses/{course_id}/approve"): Spec(admin_only(200), fresh=True, prepare=_submit),
    ("POST", "/courses/{course_id}/send-back"): Spec(
        admin_only(200), fresh=True, prepare=_submit, body=lambda c, w, r: {"notes": "Redo"}
    ),
    ("POST", "/courses/{course_id}/archive"): Spec(owner_or_admin(200), fresh=True),
    ("POST", "/courses/{course_id}/restore"): Spec(
        {**owner_or_admin(200), "student": 404, "other": 404}, fresh=True, prepare=_archive
    ),
    ("GET", "/courses/{course_id}/versions"): Spec(teachers(200)),
    ("GET", "/courses/{course_id}/versions/{version_id}"): Spec(teachers(200)),
    ("PUT", "/courses/{course_id}/instructors"): Spec(
        owner_or_admin(200), body=lambda c, w, r: {"coInstructorIds": [str(c.co.id)]}
    ),
    ("POST", "/courses/{course_id}/transfer-ownership"): Spec(
        owner_or_admin(200),
        fresh=True,
        body=lambda c, w, r: {"newPrimaryInstructorId": str(c.co.id)},
    ),
    ("PUT", "/courses/{course_id}/translations/{language}"): Spec(
        teachers(200), body=lambda c, w, r: {"title": f"Titre {r}"}
    ),
    ("DELETE", "/courses/{course_id}/translations/{language}"): Spec(teachers(204), fresh=True),
    # curriculum
    ("POST", "/courses/{course_id}/modules"): Spec(
        teachers(201), body=lambda c, w, r: {"title": f"Module by {r}"}
    ),
    ("POST", "/courses/{course_id}/modules/reorder"): Spec(
        teachers(200), body=lambda c, w, r: {"ids": list(reversed(w.modules))}
    ),
    ("PATCH", "/courses/{course_id}/modules/{module_id}"): Spec(
        teachers(200), body=lambda c, w, r: {"description": f"By {r}"}
    ),
    ("DELETE", "/courses/{course_id}/modules/{module_id}"): Spec(teachers(204), fresh=True),
    ("PUT", "/courses/{course_id}/modules/{module_id}/translations/{language}"): Spec(
        teachers(200), body=lambda c, w, r: {"title": f"Module {r}"}
    ),
    ("DELETE", "/courses/{course_id}/modules/{module_id}/translations/{language}"): Spec(
        teachers(204), fresh=True
    ),
    ("POST", "/courses/{course_id}/modules/{module_id}/lessons"): Spec(
        teachers(201), body=lambda c, w, r: {"title": f"Lesson by {r}", "type": "video"}
    ),
    ("POST", "/courses/{course_id}/modules/{module_id}/lessons/reorder"): Spec(
        teachers(200), body=lambda c, w, r: {"ids": list(reversed(w.lessons))}
    ),
    ("PATCH", "/courses/{course_id}/lessons/{lesson_id}"): Spec(
        teachers(200), body=lambda c, w, r: {"body": f"Edited by {r}"}
    ),
    ("DELETE", "/courses/{course_id}/lessons/{lesson_id}"): Spec(teachers(204), fresh=True),
    ("POST", "/courses/{course_id}/lessons/{lesson_id}/move"): Spec(
        teachers(200), body=lambda c, w, r: {"targetModuleId": w.modules[1], "position": 0}
    ),
    ("PUT", "/courses/{course_id}/lessons/{lesson_id}/translations/{language}"): Spec(
        teachers(200), body=lambda c, w, r: {"title": f"Leçon {r}", "body": "Bonjour"}
    ),
    ("DELETE", "/courses/{course_id}/lessons/{lesson_id}/translations/{language}"): Spec(
        teachers(204), fresh=True
    ),
    # categories and tags (category:manage)
    ("POST", "/categories"): Spec(admin_only(201), body=_named("Category")),
    ("PATCH", "/categories/{category_id}"): Spec(
        admin_only(200), body=lambda c, w, r: {"description": f"By {r}"}
    ),
    ("DELETE", "/categories/{category_id}"): Spec(admin_only(204), fresh=True),
    ("PUT", "/categories/{category_id}/translations/{language}"): Spec(
        admin_only(200), body=_named("Catégorie")
    ),
    ("DELETE", "/categories/{category_id}/translations/{language}"): Spec(
        admin_only(204), fresh=True
    ),
    ("POST", "/tags"): Spec(admin_only(201), body=lambda c, w, r: {"label": f"Tag {r}"}),
    ("PATCH", "/tags/{tag_id}"): Spec(admin_only(200), body=lambda c, w, r: {"label": f"T {r}"}),
    ("DELETE", "/tags/{tag_id}"): Spec(admin_only(204), fresh=True),
}


def catalog_routes(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of every route whose handler lives in the catalog, from the app's table."""
    found = set()
    for route in iter_route_contexts(app.routes):
        endpoint = route.endpoint
        if endpoint is None or not endpoint.__module__.startswith("campus.catalog."):
            continue
        assert route.path is not None
        for method in route.methods or ():
            found.add((method, route.path.removeprefix(API)))
    return found


def test_every_catalog_route_has_an_expectation(app: FastAPI) -> None:
    routes = catalog_routes(app)
    assert routes, "no catalog routes found"
    missing = routes - set(SPECS)
    stale = set(SPECS) - routes
    assert not missing, f"catalog routes without a permission expectation: {sorted(missing)}"
    assert not stale, f"expectations for routes that no longer exist: {sorted(stale)}"


async def build_world(db: Database, cast: Cast) -> World:
    """The objects every route needs, built through the services in one transaction (far
    cheaper than ~30 HTTP calls; the HTTP layer is what the matrix then exercises)."""
    owner, admin = principal(cast.owner), principal(cast.admin)
    track = f"matrix-{uuid.uuid4().hex[:8]}"
    async with db.session() as s:
        course = await authoring.create_course(
            s, owner, CourseCreate(title="Matrix Course", track=TrackIn(slug=track, name="Matrix"))
        )
        cid = course.id
        await authoring.set_co_instructors(
            s, owner, cid, InstructorsUpdate(co_instructor_ids=[cast.co.id])
        )
        modules, lessons = [], []
        for m in range(2):
            module = await structure.create_module(s, owner, cid, ModuleCreate(title=f"M{m}"))
            modules.append(str(module.lineage_id))
            for n in range(2):
                lesson = await structure.create_lesson(
                    s,
                    owner,
                    cid,
                    module.id,
                    LessonCreate(title=f"L{m}.{n}", type=LessonType.ARTICLE, body="Hi"),
                )
                if m == 0:
                    lessons.append(str(lesson.lineage_id))
        await authoring.put_translation(s, owner, cid, "fr", CourseTranslationIn(title="Cours"))
        await structure.put_module_translation(
            s, owner, cid, uuid.UUID(modules[0]), "fr", ModuleTranslationIn(title="Module")
        )
        await structure.put_lesson_translation(
            s, owner, cid, uuid.UUID(lessons[0]), "fr", LessonTranslationIn(title="Leçon")
        )
        await publication.submit(s, owner, cid, SubmitRequest())
        published = await publication.approve(s, admin, cid, ApproveRequest())
        # A change in progress: the published course also has a draft v2.
        await structure.update_lesson(
            s, owner, cid, uuid.UUID(lessons[1]), LessonUpdate(title="Being edited")
        )
        draft = await authoring.create_course(s, owner, CourseCreate(title="Unpublished Draft"))
        await authoring.set_co_instructors(
            s, owner, draft.id, InstructorsUpdate(co_instructor_ids=[cast.co.id])
        )
        module = await structure.create_module(s, owner, draft.id, ModuleCreate(title="D1"))
        await structure.create_lesson(
            s, owner, draft.id, module.id, LessonCreate(title="DL", type=LessonType.VIDEO)
        )
        draft_view = await authoring.authoring_course(s, owner, draft.id)
        category = await taxonomy.create_category(
            s, admin, CategoryCreate(name=f"Category {track}")
        )
        await taxonomy.put_category_translation(
            s, admin, category.id, "fr", CategoryTranslationIn(name="Catégorie")
        )
        tag = await taxonomy.create_tag(s, admin, TagCreate(label=f"Matrix {track}"))
    return World(
        course=AuthoringCourse.of(published).model_dump(mode="json", by_alias=True),
        draft=AuthoringCourse.of(draft_view).model_dump(mode="json", by_alias=True),
        version_id=str(published.current_version.id) if published.current_version else "",
        modules=modules,
        lessons=lessons,
        category=CategoryOut.of(category).model_dump(mode="json", by_alias=True),
        tag=TagOut.of(tag).model_dump(mode="json", by_alias=True),
        track=track,
    )


async def snapshot(client: AsyncClient, app: FastAPI, cast: Cast, world: World) -> str:
    """Everything a denied call could have changed, as the admin (and the public) sees it."""
    await bump_generation(app.state.cache)
    admin = cast.admin.headers
    parts = [
        ok(await client.get(f"{API}/authoring/courses/{world.course['id']}", headers=admin)),
        ok(await client.get(f"{API}/authoring/courses/{world.draft['id']}", headers=admin)),
        ok(await client.get(f"{API}/courses/{world.course['id']}/versions", headers=admin)),
        ok(await client.get(f"{API}/authoring/courses?limit=100", headers=admin)),
        ok(await client.get(f"{API}/categories")),
        ok(await client.get(f"{API}/tags?limit=100")),
    ]
    return json.dumps(parts, sort_keys=True)


async def call(
    client: AsyncClient, cast: Cast, world: World, method: str, path: str, spec: Spec, role: str
) -> int:
    params = world.params(cast)
    if spec.on_draft:
        params["course_id"] = world.draft["id"]
    url = API + path.format(**params)
    user = cast.by_role(role)
    headers = user.headers if user is not None else {}
    body = spec.body(cast, world, role) if spec.body else None
    response = await client.request(method, url, json=body, headers=headers)
    if response.status_code >= 400:
        error = response.json()
        assert error["success"] is False, response.text
        assert error["error"]["code"], response.text
    return response.status_code


PREPARED = {"default": None, "submitted": _submit, "archived": _archive}


@pytest.mark.parametrize("variant", sorted(PREPARED))
async def test_denied_calls_get_401_403_or_404_and_change_nothing(
    client: AsyncClient, app: FastAPI, catalog: CatalogFactory, db: Database, variant: str
) -> None:
    """Every route and every role it must refuse, on one world per prepared state."""
    cast = await catalog.cast()
    world = await build_world(db, cast)
    prepare = PREPARED[variant]
    if prepare is not None:
        await prepare(client, cast, world)
    routes = [key for key, spec in SPECS.items() if spec.prepare is prepare]
    assert routes
    before = await snapshot(client, app, cast, world)
    mismatches = []
    for method, path in sorted(routes):
        spec = SPECS[(method, path)]
        for role in ROLES:
            if spec.expect[role] in DENIED:
                status = await call(client, cast, world, method, path, spec, role)
                if status != spec.expect[role]:
                    mismatches.append((method, path, role, status, spec.expect[role]))
    assert mismatches == []
    assert await snapshot(client, app, cast, world) == before, "a denied call changed state"


@pytest.mark.parametrize(("method", "path"), sorted(SPECS), ids=lambda x: str(x))
async def test_allowed_roles_get_their_success_status(
    client: AsyncClient, catalog: CatalogFactory, db: Database, method: str, path: str
) -> None:
    spec = SPECS[(method, path)]
    cast = await catalog.cast()

    async def fresh_world() -> World:
        world = await build_world(db, cast)
        if spec.prepare is not None:
            await spec.prepare(client, cast, world)
        return world

    world = await fresh_world()
    results: dict[str, int] = {}
    allowed = [r for r in ROLES if spec.expect[r] not in DENIED]
    for index, role in enumerate(allowed):
        if spec.fresh and index > 0:
            world = await fresh_world()
        results[role] = await call(client, cast, world, method, path, spec, role)
    assert results == {role: spec.expect[role] for role in allowed}


COURSE_SCOPED = sorted(key for key in SPECS if "{course_id}" in key[1])


async def test_a_draft_of_someone_else_is_a_404_for_students_and_other_instructors(
    client: AsyncClient, app: FastAPI, catalog: CatalogFactory, db: Database
) -> None:
    cast = await catalog.cast()
    world = await build_world(db, cast)
    draft = world.draft
    world.course = draft
    world.version_id = draft["draftVersion"]["id"]
    world.modules = [draft["curriculum"][0]["id"], str(uuid.uuid4())]
    world.lessons = [draft["curriculum"][0]["lessons"][0]["id"]]
    before = await snapshot(client, app, cast, world)
    statuses = {
        (method, path, role): await call(
            client, cast, world, method, path, SPECS[(method, path)], role
        )
        for method, path in COURSE_SCOPED
        for role in ("student", "other")
    }
    assert {key: status for key, status in statuses.items() if status != 404} == {}
    assert await snapshot(client, app, cast, world) == before
