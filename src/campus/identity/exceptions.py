"""Identity errors: stable codes clients can switch on."""

from __future__ import annotations

from campus.kernel.errors import BadRequest


class InvalidLink(BadRequest):
    """An emailed link (verification, password reset, email change) cannot be used."""

    code = "invalid_token"
    message = "This link is invalid, was already used or has expired."
