"""Access-token hardening: JWT-01, 02, 04, 05/06, 07, 08, 09 and the signing key."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import os
import stat
import time
from typing import Any

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from httpx import AsyncClient

from campus.config import Environment, Settings
from campus.identity.models import User
from campus.identity.service.tokens import (
    KEY_FILE,
    TokenError,
    decode,
    issue_mfa_token,
    keyring,
    thumbprint,
)
from campus.identity.settings import IdentitySettings
from campus.kernel.clock import Clock
from campus.kernel.db import Database
from tests.fixtures.identity import AppUser, IdentityFactory

ME = "/api/v1/users/me"


def _b64(data: bytes | dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode() if isinstance(data, dict) else data
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def claims_for(user: AppUser, settings: Settings, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": IdentitySettings.of(settings).jwt_issuer,
        "aud": IdentitySettings.of(settings).jwt_audience,
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "sub": str(user.id),
        "jti": "test-jti",
        "typ": "access",
        "sid": str(user.session_id),
        "ver": 0,
    }
    for key, value in overrides.items():
        if value is None:
            claims.pop(key, None)
        else:
            claims[key] = value
    return claims


def signed(
    settings: Settings,
    claims: dict[str, Any],
    header: dict[str, Any] | None = None,
    key: Ed25519PrivateKey | None = None,
) -> str:
    ring = keyring(settings)
    head = header if header is not None else {"alg": "EdDSA", "typ": "JWT", "kid": ring.kid}
    signing_input = f"{_b64(head)}.{_b64(claims)}"
    signature = (key or ring.private_key).sign(signing_input.encode())
    return f"{signing_input}.{_b64(signature)}"


async def status_with(client: AsyncClient, token: str) -> int:
    response = await client.get(ME, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code != 500
    if response.status_code == 401:
        assert response.json()["error"]["code"] in {"invalid_token", "unauthorized"}
        assert response.headers["www-authenticate"] == "Bearer"
    return response.status_code


@pytest.fixture
async def user(identity: IdentityFactory) -> AppUser:
    return await identity.signed_in()


async def test_a_token_we_sign_ourselves_is_accepted(
    client: AsyncClient, user: AppUser, settings: Settings
) -> None:
    assert await status_with(client, signed(settings, claims_for(user, settings))) == 200


@pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE"])
async def test_alg_none_in_any_casing_is_rejected(
    client: AsyncClient, user: AppUser, settings: Settings, alg: str
) -> None:
    header = {"alg": alg, "typ": "JWT", "kid": keyring(settings).kid}
    token = f"{_b64(header)}.{_b64(claims_for(user, settings))}."
    assert await status_with(client, token) == 401


async def test_an_empty_or_truncated_signature_is_rejected(
    client: AsyncClient, user: AppUser, settings: Settings
) -> None:
    good = signed(settings, claims_for(user, settings))
    head, body, signature = good.split(".")
    assert await status_with(client, f"{head}.{body}.") == 401
    assert await status_with(client, f"{head}.{body}") == 401
    assert await status_with(client, f"{head}.{body}.{signature[:-4]}") == 401


async def test_hs256_signed_with_the_public_key_as_secret_is_rejected(
    client: AsyncClient, user: AppUser, settings: Settings
) -> None:
    public = keyring(settings).private_key.public_key()
    pem = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    for secret in (pem, raw):
        for header in (
            {"alg": "HS256", "typ": "JWT", "kid": keyring(settings).kid},
            {"alg": "HS256"},
        ):
            signing_input = f"{_b64(header)}.{_b64(claims_for(user, settings))}"
            mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
            assert await status_with(client, f"{signing_input}.{_b64(mac)}") == 401


async def test_expired_tokens_are_rejected_on_the_injected_clock(
    client: AsyncClient, user: AppUser, frozen_clock: Clock
) -> None:
    assert await status_with(client, user.access_token or "") == 200
    frozen_clock.advance(minutes=15, seconds=5)  # inside the 10 s leeway
    assert await status_with(client, user.access_token or "") == 200
    frozen_clock.advance(seconds=6)
    assert await status_with(client, user.access_token or "") == 401


async def test_a_token_accepted_before_is_refused_once_altered(
    client: AsyncClient, user: AppUser, settings: Settings
) -> None:
    good = signed(settings, claims_for(user, settings))
    assert await status_with(client, good) == 200
    head, body, signature = good.split(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    assert await status_with(client, f"{head}.{body}.{flipped}") == 401
    other_body = _b64(claims_for(user, settings, jti="another-jti"))
    assert await status_with(client, f"{head}.{other_body}.{signature}") == 401


def test_a_verified_token_is_not_accepted_for_another_audience_or_issuer(
    user: AppUser, settings: Settings
) -> None:
    token = signed(settings, claims_for(user, settings))
    assert decode(settings, token, typ="access")["sub"] == str(user.id)
    for change in ({"jwt_audience": "someone-else"}, {"jwt_issuer": "https://elsewhere"}):
        with pytest.raises(TokenError):
            decode(settings.replace(**change), token, typ="access")
    with pytest.raises(TokenError, match="wrong_type"):
        decode(settings, token, typ="mfa")


async def test_missing_or_past_exp_and_future_nbf_or_iat_are_rejected(
    client: AsyncClient, user: AppUser, settings: Settings
) -> None:
    now = int(time.time())
    for overrides in (
        {"exp": None},
        {"exp": now - 60},
        {"exp": "tomorrow"},
        {"nbf": now + 120},
        {"nbf": None},
        {"iat": now + 120},
        {"iat": None},
    ):
        token = signed(settings, claims_for(user, settings, **overrides))
        assert await status_with(client, token) == 401, overrides


async def test_wrong_or_missing_audience_and_issuer_are_rejected(
    client: AsyncClient, user: AppUser, settings: Settings
) -> None:
    for overrides in (
        {"aud": "another-api"},
        {"aud": None},
        {"aud": ["another-api"]},
        {"iss": "https://evil.example"},
        {"iss": None},
    ):
        token = signed(settings, claims_for(user, settings, **overrides))
        assert await status_with(client, token) == 401, overrides


async def test_a_disabled_users_token_stops_working_at_once(
    client: AsyncClient, user: AppUser, db: Database
) -> None:
    assert await status_with(client, user.access_token or "") == 200
    async with db.session() as s:
        await s.execute(sa.update(User).where(User.id == user.id).values(status="deactivated"))
    assert await status_with(client, user.access_token or "") == 401


async def test_jku_x5u_and_jwk_headers_are_never_followed(
    client: AsyncClient, user: AppUser, settings: Settings
) -> None:
    connections = 0

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        writer.close()

    server = await asyncio.start_server(on_connect, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    attacker = Ed25519PrivateKey.generate()
    attacker_jwk = {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": _b64(
            attacker.public_key().public_bytes(
                serialization.Encoding.Raw, serialization.PublicFormat.Raw
            )
        ),
    }
    try:
        claims = claims_for(user, settings)
        kid = keyring(settings).kid
        headers: list[dict[str, Any]] = [
            {"alg": "EdDSA", "kid": kid, "jku": f"http://127.0.0.1:{port}/jwks.json"},
            {"alg": "EdDSA", "kid": "attacker", "jku": f"http://127.0.0.1:{port}/jwks.json"},
            {"alg": "EdDSA", "kid": kid, "x5u": f"http://127.0.0.1:{port}/cert.pem"},
            {"alg": "EdDSA", "jwk": attacker_jwk},
        ]
        for header in headers:
            ours = signed(settings, claims, header)
            theirs = signed(settings, claims, header, key=attacker)
            assert await status_with(client, ours) == 401, header
            assert await status_with(client, theirs) == 401, header
    finally:
        server.close()
        await server.wait_closed()
    assert connections == 0


@pytest.mark.parametrize(
    "kid",
    [
        "' OR '1'='1' --",
        "1; DROP TABLE users",
        "../../../../../../etc/passwd",
        "/dev/null",
        "file:///etc/shadow",
        "A" * 10_240,
        "A" * 2_000,
        "",
        123,
        None,
        {"nested": "object"},
        ["list"],
    ],
)
async def test_hostile_kid_values_get_401_never_500(
    client: AsyncClient, user: AppUser, settings: Settings, kid: Any
) -> None:
    token = signed(settings, claims_for(user, settings), {"alg": "EdDSA", "kid": kid})
    assert await status_with(client, token) == 401


async def test_a_token_signed_by_another_key_under_our_kid_is_rejected(
    client: AsyncClient, user: AppUser, settings: Settings
) -> None:
    token = signed(settings, claims_for(user, settings), key=Ed25519PrivateKey.generate())
    assert await status_with(client, token) == 401


async def test_refresh_mfa_reset_and_verification_tokens_are_not_bearer_tokens(
    client: AsyncClient, user: AppUser, settings: Settings
) -> None:
    mfa = issue_mfa_token(settings, user_id=user.id, token_version=0).token
    refresh_typ = signed(settings, claims_for(user, settings, typ="refresh"))
    untyped = signed(settings, claims_for(user, settings, typ=None))
    for token in (user.refresh_token or "", mfa, refresh_typ, untyped, "x" * 43):
        assert await status_with(client, token) == 401


async def test_garbage_subject_session_or_version_claims_are_rejected(
    client: AsyncClient, user: AppUser, settings: Settings
) -> None:
    for overrides in (
        {"sub": "not-a-uuid"},
        {"sid": "00000000-0000-0000-0000-000000000000"},
        {"sid": None},
        {"ver": 1},
        {"ver": -1},
        {"ver": "0"},
        {"ver": True},
    ):
        token = signed(settings, claims_for(user, settings, **overrides))
        assert await status_with(client, token) == 401, overrides


async def test_malformed_authorization_headers_get_401(client: AsyncClient) -> None:
    for value in ("Bearer", "Basic abc", "Bearer not.a.jwt", "Bearer " + "a" * 5000):
        response = await client.get(ME, headers={"Authorization": value})
        assert response.status_code == 401, value


async def test_development_key_is_generated_once_with_mode_0600_and_kid_is_its_thumbprint(
    settings: Settings, client: AsyncClient
) -> None:
    path = settings.data_dir / KEY_FILE
    assert path.exists()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    ring = keyring(settings)
    assert ring.kid == thumbprint(ring.private_key.public_key())
    assert b"PRIVATE KEY" in path.read_bytes()


def test_production_uses_the_configured_key(settings: Settings, tmp_path: Any) -> None:
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    production = Settings(
        env=Environment.PRODUCTION,
        secret_key="s" * 40,
        jwt_private_key=pem,
        database_url="postgresql://campus@db/campus",
        base_url="https://campus.example",
        data_dir=tmp_path,
        credentials_signing_key="9f" * 32,
    )
    assert keyring(production).kid == thumbprint(key.public_key())
    assert not (tmp_path / KEY_FILE).exists()
