"""Jinja templates (Markdown) → text, in Jinja's sandbox, asking the results store by key.

Templates never hold a typed number: they call the functions given here, which
format results-store records by key. An unknown key, an undefined variable or a
template error fails the build with the template and the key named.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import jinja2
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from reportgen.analysis.results import level_key
from reportgen.errors import RenderError, ReportgenError
from reportgen.format.text import TextFormatter


#: Template functions that print a results-store record (the key is their first argument).
PRINTING = ("count", "percent", "count_percent", "number", "median", "interval", "median_ci", "p_value", "rate",
            "rate_ci", "rate_interval", "hazard_ratio", "median_quartiles")


def _noting(function: Callable[..., str], shown: list[tuple[str, str]]) -> Callable[..., str]:
    """``function``, with each (key, printed text) appended to ``shown``."""
    def printed(key: str, *args: Any, **kwargs: Any) -> str:
        out = function(key, *args, **kwargs)
        shown.append((key, out))
        return out
    return printed


def template_functions(text: TextFormatter, citations: tuple[str, ...] = (),
                       shown: list[tuple[str, str]] | None = None) -> dict[str, Callable[..., Any]]:
    """The functions a template may call: formatted numbers by key, citations and placements.

    ``citations`` are the spec's reference keys in their numbered order; ``shown``, when
    given, receives every printed number as (key, text) in rendering order.
    """

    def cite(*keys: str) -> str:
        unknown = [key for key in keys if key not in citations]
        if unknown:
            raise RenderError(f"cite(): no reference with key {unknown[0]!r} in the study spec")
        return "^" + ",".join(str(citations.index(key) + 1) for key in keys) + "^"

    functions = {
        "cite": cite,
        "count": text.count,
        "percent": text.percent,
        "count_percent": text.count_percent,
        "number": text.number,
        "median": text.median,
        "interval": text.interval,
        "median_ci": text.median_ci,
        "p_value": text.p_value,
        "rate": text.rate,
        "rate_ci": text.rate_ci,
        "rate_interval": text.rate_interval,
        "hazard_ratio": text.hazard_ratio,
        "median_quartiles": text.median_quartiles,
        "method": lambda key: text.record(key).method,
        # raw values are for conditions ({% if value(k) == 0 %}), never for printing
        "value": lambda key: text.record(key).value,
        "slug": level_key,
        "table": lambda key: f"\n\n::table {key}\n\n",
        "figure": lambda key: f"\n\n::figure {key}\n\n",
        "blocks": lambda key: f"\n\n::blocks {key}\n\n",
        "pagebreak": lambda: "\n\n::pagebreak\n\n",
        "ref": lambda key: f"[[ref:{key}]]",
    }
    if shown is not None:
        functions.update({name: _noting(functions[name], shown) for name in PRINTING})
    return functions


class _NotingLoader(jinja2.FileSystemLoader):
    """A file loader that notes the file of every template it loads (the one rendered, and those it
    includes, imports or extends)."""

    def __init__(self, folders: tuple[Path, ...], loaded: list[Path]) -> None:
        super().__init__([str(folder) for folder in folders])
        self.loaded = loaded

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        source, filename, uptodate = super().get_source(environment, template)
        self.loaded.append(Path(filename))
        return source, filename, uptodate


def render_template(name: str, folders: tuple[Path, ...], text: TextFormatter, context: dict[str, Any],
                    citations: tuple[str, ...] = (), shown: list[tuple[str, str]] | None = None,
                    loaded: list[Path] | None = None) -> str:
    """Render template ``name`` (first found in ``folders``) to Markdown text (``shown``: see
    ``template_functions``); ``loaded``, when given, receives the file of every template read."""
    environment = SandboxedEnvironment(
        loader=_NotingLoader(folders, [] if loaded is None else loaded),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
    )
    environment.globals.update(template_functions(text, citations, shown))
    try:
        return environment.get_template(name).render(**context)
    except jinja2.TemplateNotFound:
        raise RenderError(f"template {name!r} not found in {', '.join(str(f) for f in folders)}") from None
    except jinja2.TemplateSyntaxError as error:
        raise RenderError(f"template {error.filename or name}, line {error.lineno}: {error.message}") from None
    except jinja2.UndefinedError as error:
        raise RenderError(f"template {name}: {error.message}") from None
    except SecurityError as error:
        raise RenderError(f"template {name}: refused by the sandbox ({error})") from None
    except ReportgenError as error:
        raise RenderError(f"template {name}: {error}") from None
