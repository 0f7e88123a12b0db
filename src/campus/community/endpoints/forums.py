"""Course forums and the platform forum: topics, posts, solutions, pin and lock, votes,
follows, edit history and the course forum's settings."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Query, Request, Response

from campus.community.data import ForumCategory
from campus.community.endpoints.errors import errors
from campus.community.schemas.forums import (
    ForumSettingsIn,
    ForumSettingsOut,
    PlatformTopicIn,
    PostIn,
    PostOut,
    PostPatch,
    RevisionOut,
    SolutionIn,
    TopicFlagsIn,
    TopicIn,
    TopicOut,
    TopicPatch,
    VoteOut,
)
from campus.community.service import forums
from campus.community.service.forums import TopicDraft
from campus.kernel.auth import CurrentPrincipal, DbSession, OptionalPrincipal
from campus.kernel.errors import field_error
from campus.kernel.http import api_router
from campus.kernel.pagination import Page, PageParams, page_params, parse_sort, sort_pattern

router = api_router(prefix="/forums", tags=["forums"])

TOPIC_SORTS = ("activity", "newest", "votes", "unanswered")
TopicSort = Annotated[
    str,
    Query(
        description="activity (default), newest, votes, or unanswered (no replies yet)",
        json_schema_extra={"pattern": sort_pattern(TOPIC_SORTS)},
    ),
]
Search = Annotated[str | None, Query(max_length=200, description="Full-text search")]


def _sort(value: str) -> str:
    """One of the topic orders (pinned topics always lead); anything else is a 422."""
    specs = parse_sort(value, dict.fromkeys(TOPIC_SORTS), "activity")
    if len(specs) != 1 or specs[0].descending:
        raise field_error("sort", "Give one of: " + ", ".join(TOPIC_SORTS) + ".")
    return specs[0].field


def _draft(body: TopicIn) -> TopicDraft:
    return TopicDraft(
        title=body.title,
        body=body.body,
        tags=tuple(body.tags),
        module_id=body.module_id,
        lesson_id=body.lesson_id,
    )


@router.get(
    "/courses/{course_id}/topics",
    summary="A course forum's topics (pinned first), sorted and searched",
    response_model=Page[TopicOut],
    responses=errors(401, 403, 404, 422),
)
async def list_course_topics(
    course_id: uuid.UUID,
    session: DbSession,
    principal: OptionalPrincipal,
    params: Annotated[PageParams, Depends(page_params)],
    sort: TopicSort = "activity",
    q: Search = None,
    lesson_id: Annotated[uuid.UUID | None, Query(alias="lessonId")] = None,
) -> Page[TopicOut]:
    found, total = await forums.list_topics(
        session,
        principal,
        course_id=course_id,
        category=None,
        sort=_sort(sort),
        search=q,
        lesson_id=lesson_id,
        limit=params.limit,
        offset=params.offset,
    )
    return Page.build([TopicOut.of(t) for t in found], total, params)


@router.post(
    "/courses/{course_id}/topics",
    summary="Open a topic in a course forum",
    status_code=201,
    response_model=TopicOut,
    responses=errors(401, 403, 404, 415, 422),
)
async def create_course_topic(
    course_id: uuid.UUID,
    body: TopicIn,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
) -> TopicOut:
    return TopicOut.of(
        await forums.create_topic(
            session,
            request.app.state.settings,
            principal,
            course_id=course_id,
            category=None,
            draft=_draft(body),
        )
    )


@router.get(
    "/platform/topics",
    summary="The platform forum's topics, by category",
    response_model=Page[TopicOut],
    responses=errors(401, 403, 422),
)
async def list_platform_topics(
    session: DbSession,
    principal: OptionalPrincipal,
    params: Annotated[PageParams, Depends(page_params)],
    category: ForumCategory | None = None,
    sort: TopicSort = "activity",
    q: Search = None,
) -> Page[TopicOut]:
    found, total = await forums.list_topics(
        session,
        principal,
        course_id=None,
        category=category,
        sort=_sort(sort),
        search=q,
        lesson_id=None,
        limit=params.limit,
        offset=params.offset,
    )
    return Page.build([TopicOut.of(t) for t in found], total, params)


@router.post(
    "/platform/topics",
    summary="Open a topic in the platform forum (announcements: moderators only)",
    status_code=201,
    response_model=TopicOut,
    responses=errors(401, 403, 415, 422),
)
async def create_platform_topic(
    body: PlatformTopicIn, request: Request, session: DbSession, principal: CurrentPrincipal
) -> TopicOut:
    return TopicOut.of(
        await forums.create_topic(
            session,
            request.app.state.settings,
            principal,
            course_id=None,
            category=body.category,
            draft=_draft(body),
        )
    )


@router.get(
    "/topics/{topic_id}",
    summary="A topic",
    response_model=TopicOut,
    responses=errors(401, 403, 404, 422),
)
async def get_topic(
    topic_id: uuid.UUID, session: DbSession, principal: OptionalPrincipal
) -> TopicOut:
    return TopicOut.of(await forums.get_topic(session, principal, topic_id))


@router.patch(
    "/topics/{topic_id}",
    summary="Edit a topic (its author or a moderator; the previous text is kept)",
    response_model=TopicOut,
    responses=errors(401, 403, 404, 415, 422),
)
async def edit_topic(
    topic_id: uuid.UUID, body: TopicPatch, session: DbSession, principal: CurrentPrincipal
) -> TopicOut:
    return TopicOut.of(
        await forums.edit_topic(
            session,
            principal,
            topic_id,
            title=body.title,
            body=body.body,
            tags=None if body.tags is None else tuple(body.tags),
        )
    )


@router.delete(
    "/topics/{topic_id}",
    summary="Delete a topic (its author or a moderator)",
    status_code=204,
    responses=errors(401, 403, 404, 422),
)
async def delete_topic(
    topic_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> Response:
    await forums.delete_topic(session, principal, topic_id)
    return Response(status_code=204)


@router.put(
    "/topics/{topic_id}/flags",
    summary="Pin or lock a topic (instructors and moderators)",
    response_model=TopicOut,
    responses=errors(401, 403, 404, 415, 422),
)
async def set_topic_flags(
    topic_id: uuid.UUID, body: TopicFlagsIn, session: DbSession, principal: CurrentPrincipal
) -> TopicOut:
    return TopicOut.of(
        await forums.set_flags(
            session, principal, topic_id, pinned=body.is_pinned, locked=body.is_locked
        )
    )


@router.get(
    "/topics/{topic_id}/history",
    summary="A topic's earlier texts",
    response_model=Page[RevisionOut],
    responses=errors(401, 403, 404, 422),
)
async def topic_history(
    topic_id: uuid.UUID,
    session: DbSession,
    principal: OptionalPrincipal,
    params: Annotated[PageParams, Depends(page_params)],
) -> Page[RevisionOut]:
    found, total = await forums.history(session, principal, topic_id, params.limit, params.offset)
    return Page.build([RevisionOut.of(r) for r in found], total, params)


@router.get(
    "/topics/{topic_id}/posts",
    summary="A topic's posts in the order written (nest them by parentId)",
    response_model=Page[PostOut],
    responses=errors(401, 403, 404, 422),
)
async def list_posts(
    topic_id: uuid.UUID,
    session: DbSession,
    principal: OptionalPrincipal,
    params: Annotated[PageParams, Depends(page_params)],
) -> Page[PostOut]:
    found, total = await forums.list_posts(
        session, principal, topic_id, limit=params.limit, offset=params.offset
    )
    return Page.build([PostOut.of(p) for p in found], total, params)


@router.post(
    "/topics/{topic_id}/posts",
    summary="Reply to a topic or to one of its posts",
    status_code=201,
    response_model=PostOut,
    responses=errors(401, 403, 404, 409, 415, 422),
)
async def create_post(
    topic_id: uuid.UUID,
    body: PostIn,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
) -> PostOut:
    return PostOut.of(
        await forums.create_post(
            session,
            request.app.state.settings,
            principal,
            topic_id,
            body=body.body,
            parent_id=body.parent_id,
        )
    )


@router.put(
    "/topics/{topic_id}/solution",
    summary="Accept one of the topic's posts as its solution (switchable)",
    response_model=TopicOut,
    responses=errors(401, 403, 404, 409, 415, 422),
)
async def accept_topic_solution(
    topic_id: uuid.UUID, body: SolutionIn, session: DbSession, principal: CurrentPrincipal
) -> TopicOut:
    return TopicOut.of(await forums.accept_solution(session, principal, body.post_id, topic_id))


@router.delete(
    "/topics/{topic_id}/solution",
    summary="The topic has no accepted solution any more",
    response_model=TopicOut,
    responses=errors(401, 403, 404, 422),
)
async def clear_solution(
    topic_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> TopicOut:
    return TopicOut.of(await forums.clear_solution(session, principal, topic_id))


@router.put(
    "/posts/{post_id}/solution",
    summary="Accept a post as its topic's solution (switchable)",
    response_model=TopicOut,
    responses=errors(401, 403, 404, 409, 422),
)
async def accept_solution(
    post_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> TopicOut:
    return TopicOut.of(await forums.accept_solution(session, principal, post_id))


@router.patch(
    "/posts/{post_id}",
    summary="Edit a post (its author or a moderator; the previous text is kept)",
    response_model=PostOut,
    responses=errors(401, 403, 404, 409, 415, 422),
)
async def edit_post(
    post_id: uuid.UUID, body: PostPatch, session: DbSession, principal: CurrentPrincipal
) -> PostOut:
    return PostOut.of(await forums.edit_post(session, principal, post_id, body.body))


@router.delete(
    "/posts/{post_id}",
    summary="Delete a post (soft: replies keep their place)",
    status_code=204,
    responses=errors(401, 403, 404, 409, 422),
)
async def delete_post(
    post_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> Response:
    await forums.delete_post(session, principal, post_id)
    return Response(status_code=204)


@router.get(
    "/posts/{post_id}/history",
    summary="A post's earlier texts",
    response_model=Page[RevisionOut],
    responses=errors(401, 403, 404, 409, 422),
)
async def post_history(
    post_id: uuid.UUID,
    session: DbSession,
    principal: OptionalPrincipal,
    params: Annotated[PageParams, Depends(page_params)],
) -> Page[RevisionOut]:
    found, total = await forums.history(session, principal, post_id, params.limit, params.offset)
    return Page.build([RevisionOut.of(r) for r in found], total, params)


@router.put(
    "/votes/{target_id}",
    summary="Upvote a topic or a post (once per user)",
    response_model=VoteOut,
    responses=errors(401, 403, 404, 409, 422),
)
async def upvote(target_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal) -> VoteOut:
    return VoteOut.of(await forums.vote(session, principal, target_id, up=True))


@router.delete(
    "/votes/{target_id}",
    summary="Take back an upvote",
    response_model=VoteOut,
    responses=errors(401, 403, 404, 409, 422),
)
async def unvote(target_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal) -> VoteOut:
    return VoteOut.of(await forums.vote(session, principal, target_id, up=False))


@router.put(
    "/topics/{topic_id}/follow",
    summary="Follow a topic (new posts are notified)",
    response_model=TopicOut,
    responses=errors(401, 403, 404, 422),
)
async def follow(topic_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal) -> TopicOut:
    return TopicOut.of(await forums.follow(session, principal, topic_id, on=True))


@router.delete(
    "/topics/{topic_id}/follow",
    summary="Stop following a topic",
    response_model=TopicOut,
    responses=errors(401, 403, 404, 422),
)
async def unfollow(
    topic_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> TopicOut:
    return TopicOut.of(await forums.follow(session, principal, topic_id, on=False))


@router.get(
    "/courses/{course_id}/settings",
    summary="A course forum's settings: public preview and course moderators",
    response_model=ForumSettingsOut,
    responses=errors(401, 403, 404, 422),
)
async def get_forum_settings(
    course_id: uuid.UUID, session: DbSession, principal: OptionalPrincipal
) -> ForumSettingsOut:
    preview, moderators = await forums.forum_settings(session, principal, course_id)
    return ForumSettingsOut(course_id=course_id, public_preview=preview, moderator_ids=moderators)


@router.put(
    "/courses/{course_id}/settings",
    summary="Set the public preview and choose the course moderators (instructors)",
    response_model=ForumSettingsOut,
    responses=errors(401, 403, 404, 415, 422),
)
async def update_forum_settings(
    course_id: uuid.UUID, body: ForumSettingsIn, session: DbSession, principal: CurrentPrincipal
) -> ForumSettingsOut:
    preview, moderators = await forums.update_forum_settings(
        session,
        principal,
        course_id,
        public_preview=body.public_preview,
        moderator_ids=body.moderator_ids,
    )
    return ForumSettingsOut(course_id=course_id, public_preview=preview, moderator_ids=moderators)
