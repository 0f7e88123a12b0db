"""Who sees which orders: buyers only their own (another buyer's is a 404), administrators all
of them with filters and a CSV export; admin-only routes refuse everyone else."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

import pytest
from httpx import AsyncClient

from tests.commerce.conftest import API, CommerceFactory
from tests.fixtures.catalog import ok_object
from tests.fixtures.identity import AppUser


async def buy(
    client: AsyncClient, commerce: CommerceFactory, buyer: AppUser, currency: str = "USD"
) -> dict[str, Any]:
    course = await commerce.paid_course(currency)
    added = await client.post(
        f"{API}/cart/items", json={"courseId": course.key}, headers=buyer.headers
    )
    assert added.status_code == 201, added.text
    placed = await client.post(
        f"{API}/checkout",
        json={"billingName": "B", "billingCountry": "FR"},
        headers={**buyer.headers, "Idempotency-Key": uuid.uuid4().hex},
    )
    order: dict[str, Any] = ok_object(placed, 201)["order"]
    return order


async def test_a_buyer_sees_only_their_own_orders(
    client: AsyncClient, commerce: CommerceFactory
) -> None:
    alice, bob = await commerce.buyer("Alice"), await commerce.buyer("Bob")
    order = await buy(client, commerce, alice)
    mine = ok_object(await client.get(f"{API}/orders", headers=alice.headers))
    assert [o["id"] for o in mine["items"]] == [order["id"]]
    assert ok_object(await client.get(f"{API}/orders", headers=bob.headers))["total"] == 0
    for path in (f"/orders/{order['id']}", f"/orders/{order['id']}/receipt"):
        answer = await client.get(f"{API}{path}", headers=bob.headers)
        assert ok_object(answer, 404)["error"]["code"] == "order_not_found"
    cancel = await client.post(f"{API}/orders/{order['id']}/cancel", headers=bob.headers)
    assert cancel.status_code == 404
    receipt = ok_object(
        await client.get(f"{API}/orders/{order['id']}/receipt", headers=alice.headers)
    )
    assert receipt["orderNumber"] == order["number"]
    assert receipt["sellerName"] == "Campus"
    assert receipt["total"] == order["total"]
    assert (await client.get(f"{API}/orders")).status_code == 401


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/admin/orders"),
        ("GET", "/admin/orders?format=csv"),
        ("GET", "/tax-rates"),
        ("POST", "/tax-rates"),
        ("PATCH", "/tax-rates/0190f3a4-0000-7000-8000-000000000001"),
        ("DELETE", "/tax-rates/0190f3a4-0000-7000-8000-000000000002"),
    ],
)
async def test_admin_routes_refuse_students_and_instructors(
    client: AsyncClient, commerce: CommerceFactory, method: str, path: str
) -> None:
    body = {
        "country": "DE",
        "name": "VAT",
        "type": "vat",
        "rateBp": 1900,
        "validFrom": "2026-01-01T00:00:00Z",
    }
    for user in (await commerce.buyer(), await commerce.instructor()):
        answer = await client.request(
            method,
            f"{API}{path}",
            json=body if method == "POST" else {"rateBp": 1} if method == "PATCH" else None,
            headers=user.headers,
        )
        assert answer.status_code == 403, (user.roles, answer.text)
    assert (await client.request(method, f"{API}{path}")).status_code == 401


async def test_admins_filter_every_order_and_export_them(
    client: AsyncClient, commerce: CommerceFactory
) -> None:
    admin = await commerce.admin()
    alice, bob = await commerce.buyer("Alice"), await commerce.buyer("Bob")
    usd = await buy(client, commerce, alice, "USD")
    eur = await buy(client, commerce, bob, "EUR")
    cancelled = await client.post(f"{API}/orders/{eur['id']}/cancel", headers=bob.headers)
    assert cancelled.status_code == 200

    async def ids(query: str) -> list[str]:
        page = ok_object(await client.get(f"{API}/admin/orders?{query}", headers=admin.headers))
        return sorted(o["id"] for o in page["items"])

    assert await ids("") == sorted([usd["id"], eur["id"]])
    assert await ids("currency=eur") == [eur["id"]]
    assert await ids("status=cancelled") == [eur["id"]]
    assert await ids(f"userId={alice.id}") == [usd["id"]]
    assert await ids(f"courseId={usd['lines'][0]['courseId']}") == [usd["id"]]
    today = usd["createdAt"][:10]
    assert await ids(f"from={today}&to={today}") == sorted([usd["id"], eur["id"]])
    assert await ids("to=2000-01-01") == []
    assert (
        await client.get(f"{API}/admin/orders?status=nope", headers=admin.headers)
    ).status_code == 422

    export = await client.get(f"{API}/admin/orders?format=csv&currency=USD", headers=admin.headers)
    assert export.status_code == 200
    assert export.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert [r["number"] for r in rows] == [usd["number"]]
    assert rows[0]["total"] == usd["total"]["amount"]
    assert rows[0]["status"] == "pending"


async def test_admins_manage_tax_rates(client: AsyncClient, commerce: CommerceFactory) -> None:
    admin = await commerce.admin()
    created = ok_object(
        await client.post(
            f"{API}/tax-rates",
            json={
                "country": "us",
                "state": "ca",
                "name": "California sales tax",
                "type": "sales_tax",
                "rateBp": 725,
                "validFrom": "2026-01-01T00:00:00Z",
            },
            headers=admin.headers,
        ),
        201,
    )
    assert (created["country"], created["state"], created["rateBp"]) == ("US", "CA", 725)
    url = f"{API}/tax-rates/{created['id']}"
    changed = ok_object(await client.patch(url, json={"rateBp": 750}, headers=admin.headers))
    assert changed["rateBp"] == 750
    window = await client.patch(
        url, json={"validTo": "2025-01-01T00:00:00Z"}, headers=admin.headers
    )
    assert window.status_code == 422
    naive = await client.patch(url, json={"validTo": "2027-01-01T00:00:00"}, headers=admin.headers)
    assert naive.status_code == 422
    listed = ok_object(await client.get(f"{API}/tax-rates?country=US", headers=admin.headers))
    assert listed["total"] == 1
    assert (await client.delete(url, headers=admin.headers)).status_code == 204
    assert (await client.delete(url, headers=admin.headers)).status_code == 404
