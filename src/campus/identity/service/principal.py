"""The caller of ``GET /users/me`` and their account record, resolved in one statement.

The kernel's ``CurrentPrincipal`` verifies the access token and loads the principal with one
statement; ``GET /users/me`` then read the account with a second. ``CurrentAccount`` does both
with the verifier's ``with_account``: the same token checks, the same live-session, status and
token-version conditions, the same single 401 ``invalid_token`` for every refusal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from campus.identity.repository import users as users_repo
from campus.identity.service.token_verifier import AccessTokenVerifier
from campus.kernel.auth import DbSession, Principal, TokenVerifier, bearer_token
from campus.kernel.errors import NotFound, Unauthorized


@dataclass(frozen=True, slots=True)
class CallerAccount:
    principal: Principal
    record: users_repo.AccountRecord


async def caller_account(request: Request, session: DbSession) -> CallerAccount:
    token = bearer_token(request)
    if token is None:
        raise Unauthorized()
    verifier: TokenVerifier = request.app.state.token_verifier
    if isinstance(verifier, AccessTokenVerifier):
        principal, record = await verifier.with_account(session, token)
    else:  # a verifier of another kind: its principal, then the account
        principal = await verifier(session, token)
        found = await users_repo.account_record(session, principal.user_id)
        if found is None:
            raise NotFound()
        record = found
    request.state.principal = principal
    return CallerAccount(principal, record)


#: The handler parameter: ``caller: CurrentAccount``.
CurrentAccount = Annotated[CallerAccount, Depends(caller_account)]
