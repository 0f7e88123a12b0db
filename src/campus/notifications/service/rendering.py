"""The template engine: Jinja2's sandbox, so a template reaches only the values it is given
(no attributes starting with ``_``, no Python objects, no settings), with autoescape for HTML.
Placeholders are checked when a template is saved."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import TemplateSyntaxError, meta, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

_TEXT = ImmutableSandboxedEnvironment(autoescape=False, keep_trailing_newline=False)
_HTML = ImmutableSandboxedEnvironment(autoescape=True, keep_trailing_newline=False)

#: Longest rendered output of one field (a template cannot blow memory up with loops).
MAX_OUTPUT = 100_000


class TemplateProblem(ValueError):
    """A template source is refused; ``problems`` are human-readable reasons."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class Rendered:
    subject: str
    text: str
    html: str | None


def placeholders_of(source: str, *, html: bool = False) -> set[str]:
    """The variables ``source`` reads; a template reaching for ``_``-attributes is refused."""
    env = _HTML if html else _TEXT
    try:
        tree = env.parse(source)
    except TemplateSyntaxError as exc:
        raise TemplateProblem([f"line {exc.lineno}: {exc.message}"]) from exc
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        name = getattr(node, "attr", None)
        if name is None and isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
            name = node.arg.value
        if isinstance(name, str) and name.startswith("_"):
            raise TemplateProblem([f"'{name}' cannot be read in a template"])
    return set(meta.find_undeclared_variables(tree))


def check(
    fields: Mapping[str, tuple[str | None, bool]],
    declared: tuple[str, ...],
    required: tuple[str, ...],
) -> None:
    """Refuse unknown placeholders in any field and missing required ones overall.
    ``fields`` is ``{name: (source, is_html)}``."""
    problems: list[str] = []
    used: set[str] = set()
    for name, (source, is_html) in fields.items():
        if source is None:
            continue
        try:
            found = placeholders_of(source, html=is_html)
        except TemplateProblem as exc:
            problems.extend(f"{name}: {problem}" for problem in exc.problems)
            continue
        unknown = sorted(found - set(declared) - {"loop", "item"})
        if unknown:
            problems.append(f"{name}: unknown placeholders {', '.join(unknown)}")
        used |= found
    missing = [name for name in required if name not in used]
    if missing:
        problems.append(f"missing placeholders {', '.join(missing)}")
    if problems:
        raise TemplateProblem(problems)


def render_one(source: str, values: Mapping[str, Any], *, html: bool = False) -> str:
    env = _HTML if html else _TEXT
    try:
        out = env.from_string(source).render(**values)
    except SecurityError:
        return ""
    return out[:MAX_OUTPUT]


def render(subject: str, text: str, html: str | None, values: Mapping[str, Any]) -> Rendered:
    return Rendered(
        subject=" ".join(render_one(subject, values).split())[:300],
        text=render_one(text, values),
        html=None if html is None else render_one(html, values, html=True),
    )
