"""The web fixtures (an app with the dashboard, signed-in browser-like clients) for the
System page tests of this folder."""

from tests.backend.web.conftest import (  # noqa: F401 - fixtures used by name
    api,
    other_browser,
    owner_browser,
    sessions,
    web_app,
)
