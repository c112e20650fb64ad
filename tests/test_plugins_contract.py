"""The plugin API's contract: every hook is documented and tested, every hook is typed."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

import dinghuo.plugins
from dinghuo.plugins.hookspecs import SURFACES, hookspec_names

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "plugins.md"
HOOKS = hookspec_names()


def test_there_are_hookspecs_on_every_surface():
    assert HOOKS
    for surface in SURFACES:
        assert any(name.startswith("dinghuo_") for name in vars(surface)), surface.__name__


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hookspec_has_a_section_in_docs_plugins_md(hook):
    headings = re.findall(r"^#{2,4} `([a-z_]+)\(", DOCS.read_text(), flags=re.MULTILINE)
    assert hook in headings, f"docs/plugins.md has no '#### `{hook}(...)`' section"


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hookspec_is_exercised_by_a_test(hook):
    this_file = Path(__file__).resolve()
    referencing = [
        path.name
        for path in (ROOT / "tests").rglob("test_*.py")
        if path.resolve() != this_file and hook in path.read_text()
    ]
    assert referencing, f"no test mentions {hook}"


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hookspec_has_a_docstring_and_typed_arguments(hook):
    spec = next(getattr(s, hook) for s in SURFACES if hasattr(s, hook))
    assert (spec.__doc__ or "").strip(), f"{hook} has no docstring"
    signature = inspect.signature(spec)
    for name, parameter in signature.parameters.items():
        assert parameter.annotation is not inspect.Parameter.empty, f"{hook}({name}) is untyped"
    assert signature.return_annotation is not inspect.Signature.empty, f"{hook} has no return type"


def test_every_public_name_of_the_plugin_api_is_documented():
    text = DOCS.read_text()
    for name in dinghuo.plugins.__all__:
        assert f"`{name}`" in text, f"docs/plugins.md does not mention {name}"
    assert f"**Plugin API version: {dinghuo.plugins.PLUGIN_API_VERSION}**" in text
