"""The manifest format, as pydantic models: what a field may hold, checked at load.

Every model forbids unknown keys, so a misspelt one is an error naming it rather than
a setting silently ignored. Mapping expressions (`FieldSpec`) are data: paths, enum
maps, constants and a few named transforms, never code.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from schema.entities import BY_NAME

from ..catalog import HOSTINGS

PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# -- mapping expressions ----------------------------------------------------------------------------

Transform = Literal["text", "number", "integer", "id", "iso", "epoch_s", "epoch_ms", "boolean"]


class PathSpec(Strict):
    """A value at a dotted path, optionally converted (`as`); `default` stands in for a missing one."""

    path: str
    as_: Transform | None = Field(None, alias="as")
    default: Any = None


class EnumSpec(Strict):
    """A raw value mapped to a unified enum value; unknown raw values give `default`."""

    enum: str
    values: dict[str | int, str]
    default: str | None = None


class ConstSpec(Strict):
    const: Any


class JoinSpec(Strict):
    join: list[str] = Field(min_length=1)
    sep: str = " "


class EachSpec(Strict):
    """Every item of an embedded list, each mapped by its own fields (`number`: its 1-based position)."""

    each: str
    fields: dict[str, FieldSpec]
    number: str | None = None


class ProductSpec(Strict):
    product: tuple[str, str]
    places: int = 2


class SumSpec(Strict):
    """The sum of `a × b` over the items of an embedded list."""

    sum_of_products: str
    of: tuple[str, str]
    places: int = 2


class ListSpec(Strict):
    """A list of the values given (each a spec), leaving out the missing ones."""

    list_: list[FieldSpec] = Field(alias="list", min_length=1)


class ObjectSpec(Strict):
    """An object whose values are specs of the same record."""

    object: dict[str, FieldSpec]


FieldSpec = Annotated[
    str | PathSpec | EnumSpec | ConstSpec | JoinSpec | EachSpec | ProductSpec | SumSpec | ListSpec | ObjectSpec,
    Field(union_mode="left_to_right"),
]


# -- connection -------------------------------------------------------------------------------------


class CredentialSpec(Strict):
    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    label: str
    type: Literal["string", "password", "url", "number"] = "string"
    secret: bool = False
    required: bool = True
    help: str = ""
    default: str | None = None


class BasicAuth(Strict):
    """HTTP Basic from two credential fields."""

    type: Literal["basic"]
    username: str
    password: str


class HeaderAuth(Strict):
    """A header built from credential fields: `Authorization: Bearer {token}`, `X-Api-Key: {key}`."""

    type: Literal["header"]
    name: str = "Authorization"
    value: str


class SessionAuth(Strict):
    """A login call whose answer holds a token, sent on every call in a header (again after a refusal)."""

    type: Literal["session"]
    path: str
    method: Literal["POST", "GET"] = "POST"
    body: dict[str, str] = Field(default_factory=dict)  # values may name credential fields: "{email}"
    token: str  # where the answer holds the token (dotted)
    header: str = "Authorization"
    prefix: str = ""  # before the token in the header, e.g. "Bearer "


class OAuthClientCredentials(Strict):
    """OAuth 2.0 client credentials; the token URL may name credential fields (`{tenant}`)."""

    type: Literal["oauth_client_credentials"]
    token_url: str
    client_id: str
    client_secret: str
    scope: str = ""


Auth = Annotated[BasicAuth | HeaderAuth | SessionAuth | OAuthClientCredentials, Field(discriminator="type")]


class OffsetPagingSpec(Strict):
    style: Literal["offset"]
    offset_param: str = "offset"
    limit_param: str = "limit"


class PagePagingSpec(Strict):
    style: Literal["page"]
    page_param: str = "page"
    limit_param: str = "limit"


class CursorPagingSpec(Strict):
    style: Literal["cursor"]
    cursor_param: str = "cursor"
    limit_param: str = "limit"
    next: str = "nextCursor"  # where a page's body holds the next cursor


Paging = Annotated[OffsetPagingSpec | PagePagingSpec | CursorPagingSpec, Field(discriminator="style")]


class IdPattern(Strict):
    regex: str
    says: str  # what the ids are, for the error: "whole numbers"

    @field_validator("regex")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a regular expression: {exc}") from None
        return value


# -- streams ------------------------------------------------------------------------------------------


class WriteField(Strict):
    """Where a writable unified value goes, converted (`as`): integer, text, number, iso, epoch_s, epoch_ms."""

    path: str
    as_: Literal["text", "number", "integer", "iso", "epoch_s", "epoch_ms"] | None = Field(None, alias="as")


class WritesSpec(Strict):
    """The writes a stream takes: request templates filled from the unified input."""

    create: bool = True
    update: bool = True
    delete: bool = False
    fields: dict[str, WriteField | None]  # None: the inverse of the read mapping
    required: list[str] = Field(default_factory=list)
    defaults: dict[str, Any] = Field(default_factory=dict)  # remote values every create sends
    later: list[str] = Field(default_factory=list)  # refused on a create: written by an update right after


class StreamSpec(Strict):
    entity: str
    path: str
    records: str | None = None  # where a list answer holds the records (unset: the connector's)
    record: str | None = None
    params: dict[str, str | int] = Field(default_factory=dict)
    remote_id: FieldSpec
    display: FieldSpec | None = None
    created_at: FieldSpec | None = None
    updated_at: FieldSpec | None = None
    version: FieldSpec | None = None
    fields: dict[str, FieldSpec]
    status_field: str | None = None
    updated_param: str | None = None
    created_param: str | None = None
    status_param: str | None = None
    ids_param: str | None = None  # fetch-many: ids joined by commas in this parameter
    custom_under: str = ""
    writes: WritesSpec | None = None

    @field_validator("entity")
    @classmethod
    def _known_entity(cls, value: str) -> str:
        if value not in BY_NAME:
            raise ValueError(f"'{value}' is not an entity of the unified model ({', '.join(BY_NAME)})")
        return value


class Manifest(Strict):
    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    vendor: str
    category: Literal["CMMS", "EAM", "ERP"]
    tier: Literal[1, 2, 3]
    hostings: list[str] = Field(min_length=1)
    base_url: str | None = None
    api_prefix: str = ""  # may name credential fields: "/api/v2.0/companies({companyId})"
    credentials: list[CredentialSpec] = Field(default_factory=list)
    auth_guide: str = ""
    deletions: str = ""
    auth: Auth
    paging: Paging
    records: str | None = "results"
    record: str | None = "result"
    time_format: Literal["iso", "epoch_s", "epoch_ms"] = "iso"
    live_paging: Literal["offset", "cursor", "keyset"] = "offset"
    id_pattern: IdPattern | None = None
    max_page_size: int = Field(200, ge=1, le=1000)
    streams: list[StreamSpec] = Field(min_length=1)

    @field_validator("hostings")
    @classmethod
    def _known_hostings(cls, value: list[str]) -> list[str]:
        unknown = [h for h in value if h not in HOSTINGS]
        if unknown:
            raise ValueError(f"'{unknown[0]}' is not a hosting ({', '.join(HOSTINGS)})")
        return value

    @model_validator(mode="after")
    def _one_stream_per_entity(self) -> Manifest:
        seen: set[str] = set()
        for stream in self.streams:
            if stream.entity in seen:
                raise ValueError(f"two streams serve {stream.entity}")
            seen.add(stream.entity)
        return self


EachSpec.model_rebuild()
ListSpec.model_rebuild()
ObjectSpec.model_rebuild()
StreamSpec.model_rebuild()
