"""Reading a setup file: YAML with the line of every key and list item, dates kept as text."""

from __future__ import annotations

import datetime as dt
from typing import Any

import yaml
from django.utils.translation import gettext as _

FORMAT = "werkplaats.setup/1"


class SetupError(Exception):
    """The file cannot be applied; ``problems`` are (line, message) pairs."""

    def __init__(self, problems: list[tuple[int, str]]) -> None:
        self.problems = sorted(problems)
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        return [
            _("line %(line)d: %(message)s") % {"line": n, "message": m} for n, m in self.problems
        ]


# --- reading, with line numbers --------------------------------------------------------


class LineDict(dict[str, Any]):
    line: int = 0
    key_lines: dict[str, int]


class LineList(list[Any]):
    line: int = 0
    item_lines: list[int]


class _Loader(yaml.SafeLoader):
    pass


def _mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if key in result:
            raise SetupError([(line, _("%(key)s appears twice here; keep one.") % {"key": key})])
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = line
    return result


def _sequence(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


def _as_text(loader: _Loader, node: yaml.ScalarNode) -> str:
    return str(loader.construct_scalar(node))


_Loader.add_constructor("tag:yaml.org,2002:map", _mapping)
_Loader.add_constructor("tag:yaml.org,2002:seq", _sequence)
# Dates stay text here: the schema checks them (2023-02-30 is named as a wrong date, with
# its line, instead of stopping the reader).
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _as_text)


def _dates_as_text(value: Any) -> Any:
    """YAML reads 2023-01-01 as a date; the schema checks text, so dates become ISO text."""
    if isinstance(value, LineDict):
        for key in value:
            value[key] = _dates_as_text(value[key])
    elif isinstance(value, LineList):
        for i, item in enumerate(value):
            value[i] = _dates_as_text(item)
    elif isinstance(value, dt.date):
        return value.isoformat()
    return value


def load(text: str) -> LineDict:
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 — a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise SetupError(
            [(line, _("this is not valid YAML: %(problem)s") % {"problem": exc.problem})]
        ) from None
    if not isinstance(data, LineDict):
        raise SetupError(
            [(1, _("the file must be a mapping that starts with format: %(f)s") % {"f": FORMAT})]
        )
    _dates_as_text(data)  # in place: the mapping itself comes back
    return data


def _line_of(root: Any, path: list[Any]) -> int:
    line = getattr(root, "line", 1)
    node = root
    for step in path:
        if isinstance(node, LineDict) and step in node:
            line = node.key_lines.get(step, line)
        elif isinstance(node, LineList) and isinstance(step, int) and step < len(node):
            line = node.item_lines[step]
        else:
            break
        node = node[step]
        line = getattr(node, "line", line) if isinstance(node, LineDict | LineList) else line
    return line
