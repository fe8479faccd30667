"""A manifest's YAML with where each value stands, so every error can name its line.

PyYAML's composer keeps a start mark on every node; the values are built from the
nodes here (safe types only: mappings, sequences, scalars) while each path of keys
and indexes is noted with its line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

Loc = tuple[str | int, ...]


class ManifestError(Exception):
    """A manifest that cannot be loaded: `file:line: field: reason`."""

    def __init__(self, file: str, line: int, where: str, reason: str) -> None:
        self.file, self.line, self.where, self.reason = file, line, where, reason
        super().__init__(f"{file}:{line}: {where}: {reason}" if where else f"{file}:{line}: {reason}")


def dotted(loc: Loc) -> str:
    """A path of keys and indexes as a field name: `streams[2].fields.status`."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


@dataclass
class Source:
    """One manifest file's values and the line of each path in them."""

    file: str
    data: Any
    lines: dict[Loc, int] = field(default_factory=dict)

    def line(self, loc: Loc) -> int:
        """The line of the deepest part of `loc` the file has (1 for the document)."""
        for end in range(len(loc), -1, -1):
            if loc[:end] in self.lines:
                return self.lines[loc[:end]]
        return 1

    def error(self, loc: Loc, reason: str) -> ManifestError:
        return ManifestError(self.file, self.line(loc), dotted(loc), reason)


def _scalar(node: yaml.Node) -> Any:
    """A scalar node's value as `yaml.safe_load` reads it."""
    return yaml.SafeLoader("").construct_object(node)


def _build(node: yaml.Node, loc: Loc, lines: dict[Loc, int], file: str) -> Any:
    lines.setdefault(loc, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _scalar(key_node) if isinstance(key_node, yaml.ScalarNode) else None
            if not isinstance(key, (str, int)) or isinstance(key, bool):
                raise ManifestError(file, key_node.start_mark.line + 1, dotted(loc), "keys are names or numbers")
            if key in out:
                raise ManifestError(file, key_node.start_mark.line + 1, dotted((*loc, key)), "given twice")
            lines[(*loc, key)] = key_node.start_mark.line + 1
            out[key] = _build(value_node, (*loc, key), lines, file)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*loc, i), lines, file) for i, item in enumerate(node.value)]
    return _scalar(node)


def read(path: Path) -> Source:
    """Parse one manifest; malformed YAML is a `ManifestError` at the line the parser stopped."""
    file = str(path)
    try:
        node = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise ManifestError(file, (mark.line + 1) if mark else 1, "", f"not YAML: {exc.problem}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError(file, 1, "", f"cannot be read: {exc}") from None
    if node is None:
        raise ManifestError(file, 1, "", "the file is empty")
    source = Source(file, None)
    source.data = _build(node, (), source.lines, file)
    return source
