"""Reading a configuration file: safe YAML, with the line of every item kept for error messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode


@dataclass
class Source:
    """The parsed document and, for each path such as ``systems[2].settings.base_url``, its line."""

    data: Any
    lines: dict[str, int] = field(default_factory=dict)

    def line(self, path: str) -> int:
        """The line of ``path``, or of its nearest parent that has one (line 1 for the top)."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = _parent(path)
        return 1


@dataclass
class Problems:
    """Every error found in a file, each tied to the path (and so the line) it concerns."""

    source: Source
    found: list[tuple[int, str]] = field(default_factory=list)

    def add(self, path: str, message: str) -> None:
        where = f"{path}: " if path else ""
        self.found.append((self.source.line(path), f"{where}{message}"))

    def messages(self) -> list[str]:
        ordered = sorted(enumerate(self.found), key=lambda item: (item[1][0], item[0]))
        return [f"line {line}: {text}" for _, (line, text) in ordered]

    def __len__(self) -> int:
        return len(self.found)


class SourceError(ValueError):
    """The text is not a YAML document at all; ``messages`` say where."""

    def __init__(self, messages: list[str]):
        super().__init__("; ".join(messages))
        self.messages = messages


def source_read(text: str) -> Source:
    """Parse ``text`` with safe-load semantics and record the line of each item and each key."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        duplicates: list[str] = []
        lines: dict[str, int] = {}
        if node is not None:
            _walk(node, "", lines, duplicates)
        if duplicates:
            raise SourceError(duplicates)
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as error:
        raise SourceError([_syntax_message(error)]) from None
    except yaml.YAMLError as error:
        raise SourceError([f"line 1: not valid YAML: {error}"]) from None
    finally:
        loader.dispose()
    return Source(data=data, lines=lines)


def _walk(node: Node, path: str, lines: dict[str, int], duplicates: list[str]) -> None:
    if isinstance(node, SequenceNode):
        for index, item in enumerate(node.value):
            child = f"{path}[{index}]"
            lines[child] = item.start_mark.line + 1
            _walk(item, child, lines, duplicates)
    elif isinstance(node, MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            if not isinstance(key, ScalarNode) or key.tag == "tag:yaml.org,2002:merge":
                continue
            child = f"{path}.{key.value}" if path else str(key.value)
            if key.value in seen:
                line = key.start_mark.line + 1
                duplicates.append(f"line {line}: {child}: this key appears twice in the same place")
            seen.add(key.value)
            lines[child] = key.start_mark.line + 1
            _walk(value, child, lines, duplicates)


def _syntax_message(error: yaml.MarkedYAMLError) -> str:
    mark = error.problem_mark or error.context_mark
    problem = error.problem or error.context or "unreadable"
    if mark is None:
        return f"line 1: not valid YAML: {problem}"
    return f"line {mark.line + 1}, column {mark.column + 1}: not valid YAML: {problem}"


def _parent(path: str) -> str:
    cut = max(path.rfind("."), path.rfind("["))
    return path[:cut] if cut > 0 else ""
