"""Connectors declared as YAML manifests (docs/manifests.md): read, validated, compiled to the kit.

`load_dir` reads every `*.yaml` / `*.yml` file of a directory; a manifest that fails is
reported as `file:line: field: reason` and left out, the others load.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .compile import compile_manifest
from .connector import ManifestConnector
from .model import Manifest
from .source import ManifestError, Source, read

__all__ = ["ManifestConnector", "ManifestError", "load_dir", "load_file"]


def _reason(error: Mapping[str, Any]) -> str:
    """A pydantic error's message, without the type prefixes it adds to custom ones."""
    message = str(error["msg"])
    return message.removeprefix("Value error, ")


def _validated(source: Source) -> Manifest:
    try:
        return Manifest.model_validate(source.data)
    except ValidationError as exc:
        errors = exc.errors()
        # In a union each alternative reports: a wrong value inside the form the file chose says more
        # than a key another form lacks or forbids, and the error deepest in the file says most.
        first = max(errors, key=lambda e: (e["type"] not in SHAPE_ERRORS, len(_real(e["loc"], source))))
        loc = _real(first["loc"], source)
        if first["type"] == "union_tag_invalid":  # the tag's own key is at fault: `paging.style`
            loc = (*loc, str(first["ctx"]["discriminator"]).strip("'"))
        raise source.error(loc, _reason(first)) from None


def _real(loc: tuple[Any, ...], source: Source) -> tuple[Any, ...]:
    """A pydantic location without the union member names it inserts (`str`, `PathSpec`, `tagged-union[...]`)."""
    out: tuple[Any, ...] = ()
    for part in loc:
        if (*out, part) in source.lines or isinstance(part, int):
            out = (*out, part)
        elif isinstance(part, str) and (*out, part) not in source.lines and not _is_member(part):
            out = (*out, part)  # a required key the file lacks
    return out


SHAPE_ERRORS = frozenset({"missing", "extra_forbidden"})
TAGS = frozenset({"basic", "header", "session", "oauth_client_credentials", "offset", "page", "cursor"})


def _is_member(part: str) -> bool:
    """Whether a location part names a union member (a model, a type, a tag) rather than a key."""
    return part[:1].isupper() or "[" in part or part in {"str", "int", "none", *TAGS}


def load_file(path: Path, taken: Mapping[str, Any]) -> type[ManifestConnector]:
    """One manifest's connector class; `taken`: the system keys already registered."""
    source = read(path)
    return compile_manifest(_validated(source), source, taken)


def load_dir(directory: Path, taken: Mapping[str, Any]) -> tuple[list[type[ManifestConnector]], list[ManifestError]]:
    """The connectors of every manifest in a directory, and the errors of those that failed."""
    loaded: list[type[ManifestConnector]] = []
    errors: list[ManifestError] = []
    keys = dict(taken)
    for path in sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")]):
        try:
            cls = load_file(path, keys)
        except ManifestError as exc:
            errors.append(exc)
            continue
        keys[cls.entry.key] = cls
        loaded.append(cls)
    return loaded, errors
