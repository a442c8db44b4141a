"""Every page's component tree builds: a mistake in a page (a bad foreach, a missing
var) shows up here in a second instead of when the app compiles for a browser test."""

from __future__ import annotations

import pytest
from reflex_base.registry import RegistrationContext

import backoffice.app  # noqa: F401  (imports every page module)


def _pages() -> list[tuple[str, object]]:
    return [
        (kwargs.get("route", fn.__name__), fn)
        for fn, kwargs in RegistrationContext.ensure_context().decorated_pages
    ]


def test_there_are_pages():
    routes = {route for route, _ in _pages()}
    assert {"/members", "/workflows", "/workflows/edit"} <= routes


@pytest.mark.parametrize(("route", "render"), _pages(), ids=[r for r, _ in _pages()])
def test_page_builds(route, render):  # noqa: ANN001
    component = render()
    assert component.render()
