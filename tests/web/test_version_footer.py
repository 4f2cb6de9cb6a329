"""Every page's footer names the Spotter version running, read from the installed package."""

from __future__ import annotations

from importlib.metadata import version


def test_the_footer_shows_the_installed_version(client):
    page = client.get("/settings/").get_data(as_text=True)
    assert f"<footer><small>Spotter {version('spotter-coach')}</small></footer>" in page
