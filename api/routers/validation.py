"""Request constraints for the ``/api/v1`` routers, stated in the OpenAPI document where a schema can state them
(patterns, enums) and checked as request validation (422) where it cannot, so a request the document allows is
never refused with a 400 (issue 23, schema truthfulness; docs/security.md).

The services still check everything themselves (the CLI calls them too); these declarations only make the HTTP
contract say it first.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from api.services.ranking import decode_cursor
from graph.errors import InvalidInput

# corridors: two-letter state codes (any case) or location keys, comma-separated, blanks ignored
_PLACE = r"\s*(?:[A-Za-z]{2}|[^,]*:[^,]*)?\s*"
PLACES = rf"^{_PLACE}(?:,{_PLACE})*$"
YEARS = r"^\s*[0-9]{4}\s*(?:[-–]\s*[0-9]{4}\s*)?$"
BASIS = r"^(?:traces|atf_table|table:[a-z0-9][a-z0-9-]*)$"
# paths: kind:KEY, the kind in any case, the key not blank
_KINDS = ("person", "dealer", "firearm", "recovery", "location")
_KIND = "|".join("".join(f"[{c.upper()}{c}]" for c in kind) for kind in _KINDS)
REFERENCE = rf"^\s*(?:{_KIND})\s*:[\s\S]*\S[\s\S]*$"
PathType = Literal["SOLD", "PURCHASED", "RECOVERED_IN", "POSSESSED_BY", "NIBIN_LINK", "AT", "LIVES_AT", "IN"]


def invalid(where: tuple[str, ...], message: str) -> RequestValidationError:
    return RequestValidationError([{"loc": where, "msg": message, "type": "value_error"}])


def cursor(value: str | None) -> str | None:
    """A ``next_cursor`` this API issued (its form is the API's own: a schema cannot state it): else 422."""
    if value is not None:
        try:
            decode_cursor(value)
        except InvalidInput as exc:
            raise ValueError(str(exc)) from None
    return value


def years(year: int | None, span: str | None) -> None:
    """``year`` and ``years`` together, or a range that runs backwards: 422."""
    if year is not None and span:
        raise invalid(("query", "years"), "give year or years, not both")
    if span:
        first, _, last = span.replace("–", "-").partition("-")
        if last.strip() and int(last) < int(first):
            raise invalid(("query", "years"), "the range runs backwards")


def model(cls: type[Any], where: str = "query", **values: Any) -> Any:
    """``cls(**values)``, a validation error in it a 422 on ``where`` (not a 500)."""
    try:
        return cls(**values)
    except ValidationError as exc:
        raise RequestValidationError([{**e, "loc": (where, *e.get("loc", ()))} for e in exc.errors(
            include_input=False, include_url=False, include_context=False)]) from None
