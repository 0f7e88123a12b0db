"""Module and track badges: awarded once when the version's rule says so, each an Open Badges
3.0 credential that validates against 1EdTech's schema and verifies with the published key;
only their holder sees them."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from httpx import AsyncClient

from campus.credentials.service import proofs
from campus.kernel.jobs import Relay
from tests.credentials.helpers import complete, set_rule
from tests.credentials.test_open_badges import published_resolver
from tests.fixtures.catalog import API
from tests.fixtures.identity import AppUser
from tests.fixtures.learning import LearningFactory, ModuleSpec, text

SCHEMA = json.loads(
    (Path(__file__).parent / "ob_v3p0_achievementcredential_schema.json").read_text()
)


async def my_badges(client: AsyncClient, learner: AppUser) -> list[dict[str, Any]]:
    response = await client.get(f"{API}/badges", headers=learner.headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_a_module_badge_is_awarded_once_and_is_a_verifiable_open_badge(
    learning: LearningFactory, relay: Relay, client: AsyncClient
) -> None:
    cast = await learning.cast()
    course = await learning.course(
        cast.owner, cast.admin, [ModuleSpec([text()]), ModuleSpec([text()])], hasCertificate=True
    )
    first = course.modules[0]
    rule = await set_rule(client, cast.owner, course, badgeModuleIds=[first["lineageId"]])
    assert rule["badgeModuleIds"] == [first["lineageId"]]
    assert rule["trackBadge"] is False
    learner = await learning.learner("Yusuf")
    await complete(learning, relay, course, learner)
    [badge] = await my_badges(client, learner)
    assert (badge["kind"], badge["subjectId"], badge["name"]) == (
        "module",
        first["lineageId"],
        first["title"],
    )
    assert await learning.event_names("credentials.badge_issued") == ["credentials.badge_issued"]

    url = f"{API}/badges/{badge['id']}/credential"
    response = await client.get(url, headers=learner.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/ld+json")
    credential = response.json()
    validator = jsonschema_rs.Draft201909Validator(SCHEMA)
    assert [e.message for e in validator.iter_errors(credential)] == []
    achievement = credential["credentialSubject"]["achievement"]
    assert achievement["achievementType"] == "Badge"
    assert learner.email not in json.dumps(credential)
    resolver = await published_resolver(client)
    proofs.verify(credential, resolver)
    altered = copy.deepcopy(credential)
    altered["credentialSubject"]["achievement"]["name"] = "Every module"
    with pytest.raises(proofs.ProofError):
        proofs.verify(altered, resolver)
    token = await client.get(f"{url}.jwt", headers=learner.headers)
    assert token.status_code == 200
    assert token.headers["content-type"].startswith("application/vc+jwt")

    # Someone else's badge is the same 404 as an unknown one.
    other = await client.get(url, headers=cast.student.headers)
    unknown = await client.get(
        f"{API}/badges/00000000-0000-7000-8000-000000000000/credential",
        headers=cast.student.headers,
    )
    assert other.status_code == unknown.status_code == 404
    assert other.json()["error"]["code"] == unknown.json()["error"]["code"] == "badge_not_found"
    assert await my_badges(client, cast.student) == []


async def test_a_track_badge_is_awarded_on_completing_a_track_whose_rule_says_so(
    learning: LearningFactory, relay: Relay, client: AsyncClient
) -> None:
    cast = await learning.cast()
    track = await learning.course(
        cast.owner,
        cast.admin,
        [ModuleSpec([text()])],
        hasCertificate=True,
        track={"slug": "rust", "name": "Rust"},
    )
    plain = await learning.course(cast.owner, cast.admin, [ModuleSpec([text()])])
    refused = await client.put(
        f"{API}/courses/{plain.id}/versions/{plain.version_id}/certificate-rule",
        json={"trackBadge": True},
        headers=cast.owner.headers,
    )
    assert refused.status_code == 422
    assert [f["field"] for f in refused.json()["error"]["details"]["fields"]] == ["trackBadge"]
    foreign = await client.put(
        f"{API}/courses/{plain.id}/versions/{plain.version_id}/certificate-rule",
        json={"badgeModuleIds": [track.modules[0]["lineageId"]]},
        headers=cast.owner.headers,
    )
    assert foreign.status_code == 422
    assert [f["field"] for f in foreign.json()["error"]["details"]["fields"]] == ["badgeModuleIds"]

    await set_rule(client, cast.owner, track, trackBadge=True)
    learner = await learning.learner("Ines")
    await complete(learning, relay, track, learner)
    [badge] = await my_badges(client, learner)
    assert (badge["kind"], badge["subjectId"]) == ("track", track.id)
    assert badge["name"] == f"{track.data['title']} track"
    credential = (
        await client.get(f"{API}/badges/{badge['id']}/credential", headers=learner.headers)
    ).json()
    validator = jsonschema_rs.Draft201909Validator(SCHEMA)
    assert [e.message for e in validator.iter_errors(credential)] == []
    proofs.verify(credential, await published_resolver(client))

    # Without the rule's say-so a track awards no badge.
    other = await learning.learner("Ola")
    await complete(learning, relay, plain, other)
    assert await my_badges(client, other) == []
