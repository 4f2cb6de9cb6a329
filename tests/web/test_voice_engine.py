"""The Settings page's choice of voice engine: shown, saved, and refused when unknown."""

from __future__ import annotations

from routines.changes import Data
from tests.web_support import contents, post_form


def test_the_page_offers_classic_and_natural_with_the_saved_one_chosen(client, store):
    page = client.get("/settings/").get_data(as_text=True)
    assert '<option value="classic" selected>Classic</option>' in page
    assert '<option value="natural">Natural</option>' in page
    store.update_settings({"voice_engine": "natural"})
    page = client.get("/settings/").get_data(as_text=True)
    assert '<option value="natural" selected>Natural</option>' in page


def test_choosing_natural_is_saved_and_the_device_reloads(client, store, control):
    response = post_form(client, "/settings/", {"voice_engine": "natural"})
    assert response.status_code == 302
    assert store.settings().voice_engine == "natural"
    assert control.heard() == [{Data.SETTINGS}]


def test_an_unknown_engine_is_refused_and_nothing_changes(client, store, control):
    before = contents(store)
    response = post_form(client, "/settings/", {"voice_engine": "robot"})
    assert response.status_code == 422
    assert "must be one of: classic, natural" in response.get_data(as_text=True)
    assert contents(store) == before
    assert control.calls == []
