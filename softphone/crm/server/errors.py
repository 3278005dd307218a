"""The errors the API answers with: each becomes an ``ErrorBody``. Imports no Qt."""

from __future__ import annotations

from collections.abc import Mapping


class ApiError(Exception):
    """A request the server refuses; ``code`` is one of the ``ErrorBody`` codes."""

    def __init__(self, status: int, code: str, message: str,
                 fields: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = dict(fields or {})


def invalid(fields: Mapping[str, str]) -> ApiError:
    """A 422 naming each wrong field (dotted path) and what is wrong with it."""
    names = ", ".join(fields)
    return ApiError(422, "invalid", f"not valid: {names}", fields)
