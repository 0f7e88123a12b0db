"""Request dependencies of learning's routes: the rules its services follow."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from campus.learning.service.rules import Rules


async def learning_rules(request: Request) -> Rules:
    return Rules.from_settings(request.app.state.settings)


LearningRules = Annotated[Rules, Depends(learning_rules)]
