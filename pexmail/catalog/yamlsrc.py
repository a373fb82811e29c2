"""YAML → plain Python values, keeping the line of every node.

PyYAML's loaders drop positions and silently keep the last of two equal keys;
a reviewer's typo must instead be reported at its line. Only the safe scalar
types are built (str, int, float, bool, null, date): no tag runs code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class YamlProblem:
    line: int | None
    path: Path_
    message: str


@dataclass(frozen=True)
class Located:
    """A parsed YAML document and the line of each of its nodes."""

    data: Any
    lines: Mapping[Path_, int]

    def line_of(self, path: Path_) -> int | None:
        """Line of the deepest node on ``path`` (pydantic paths may go deeper)."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return None


class YamlSyntaxError(Exception):
    def __init__(self, line: int | None, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


_constructor = yaml.SafeLoader  # only used for its scalar resolution


def load_located(text: str, name: str) -> tuple[Located, list[YamlProblem]]:
    """Parse ``text``; raise :class:`YamlSyntaxError` if it is not YAML at all."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        message = f"not valid YAML: {exc.problem or exc}"
        if exc.context and exc.context_mark and exc.context_mark.line + 1 != line:
            message += f" ({exc.context} at line {exc.context_mark.line + 1})"
        raise YamlSyntaxError(line, message) from None
    except yaml.YAMLError as exc:  # pragma: no cover - PyYAML always marks its errors
        raise YamlSyntaxError(None, f"not valid YAML: {exc}") from None
    lines: dict[Path_, int] = {}
    problems: list[YamlProblem] = []
    if root is None:
        return Located(None, lines), problems
    loader = _constructor("")
    budget = [_MAX_NODES]
    data = _convert(root, (), lines, problems, loader, budget)
    return Located(data, lines), problems


# Aliases let a few lines of YAML expand into billions of nodes; no catalogue
# or directory comes near this size.
_MAX_NODES = 200_000
_PLAIN_COLLECTIONS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}


def _convert(
    node: yaml.Node,
    path: Path_,
    lines: dict[Path_, int],
    problems: list[YamlProblem],
    loader: yaml.SafeLoader,
    budget: list[int],
) -> Any:
    budget[0] -= 1
    if budget[0] < 0:
        raise YamlSyntaxError(
            node.start_mark.line + 1, "document too large (aliases expand too far)"
        )
    lines[path] = node.start_mark.line + 1
    if (
        isinstance(node, yaml.MappingNode | yaml.SequenceNode)
        and node.tag not in _PLAIN_COLLECTIONS
    ):
        problems.append(
            YamlProblem(
                node.start_mark.line + 1, path, f"YAML tag {node.tag!r} is not allowed here"
            )
        )
        return None
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                problems.append(
                    YamlProblem(key_node.start_mark.line + 1, path, "keys must be plain text")
                )
                continue
            key = loader.construct_object(key_node)
            key = str(key) if not isinstance(key, str) else key
            if key in result:
                problems.append(
                    YamlProblem(
                        key_node.start_mark.line + 1,
                        (*path, key),
                        f"key {key!r} appears twice in the same mapping (first at line "
                        f"{lines[(*path, key)]})",
                    )
                )
                continue
            result[key] = _convert(value_node, (*path, key), lines, problems, loader, budget)
            lines[(*path, key)] = key_node.start_mark.line + 1
        return result
    if isinstance(node, yaml.SequenceNode):
        return [
            _convert(item, (*path, index), lines, problems, loader, budget)
            for index, item in enumerate(node.value)
        ]
    if node.tag.startswith("tag:yaml.org,2002:") or node.tag == "!":
        try:
            return loader.construct_object(node)
        except yaml.constructor.ConstructorError as exc:
            problems.append(YamlProblem(node.start_mark.line + 1, path, str(exc.problem)))
            return None
        except (ValueError, OverflowError) as exc:
            # A scalar that looks like a date but is none (2025-13-45): PyYAML raises
            # a bare ValueError, which would otherwise escape as a traceback.
            problems.append(YamlProblem(node.start_mark.line + 1, path, f"invalid value: {exc}"))
            return None
    problems.append(
        YamlProblem(node.start_mark.line + 1, path, f"YAML tag {node.tag!r} is not allowed here")
    )
    return None


def read_located(path: Path) -> tuple[Located, list[YamlProblem]]:
    return load_located(path.read_text(encoding="utf-8"), str(path))


def format_path(path: Path_, data: Any = None) -> str:
    """``('letters', 3, 'conditions')`` → ``letters[3:drihl-cdp].conditions``."""
    text = ""
    node = data
    for part in path:
        if isinstance(part, int):
            label = str(part)
            if isinstance(node, list) and part < len(node):
                item = node[part]
                if isinstance(item, dict) and isinstance(item.get("id"), str):
                    label = f"{part}:{item['id']}"
                node = item
            else:
                node = None
            text += f"[{label}]"
        else:
            text += f".{part}" if text else str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return text
