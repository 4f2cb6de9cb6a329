"""The Settings page's voice list: English first, grouped by engine, every voice on request."""

from __future__ import annotations

from tests.routines.test_voice_list import MIXED


def test_the_page_shows_english_first_and_a_switch_for_the_rest(client, control):
    control.voice_list = MIXED
    page = client.get("/settings/").get_data(as_text=True)
    assert '<optgroup label="Classic (espeak-ng)">' in page
    assert "Quenya" not in page and "French" not in page
    assert page.index("English (America)") < page.index("English (Great Britain)")
    assert "Show all voices (2 more, in other languages)" in page
    everything = client.get("/settings/?voices=all").get_data(as_text=True)
    assert everything.index("English (Great Britain)") < everything.index("French")
    assert everything.index("French") < everything.index("Quenya")
    assert "Show English voices only" in everything


def test_the_list_is_grouped_once_and_again_when_the_daemon_lists_others(
    client, control, monkeypatch
):
    from web_config import settings_pages

    grouped: list[int] = []
    real = settings_pages.voice_groups

    def counted(voices, **kw):
        grouped.append(len(voices))
        return real(voices, **kw)

    monkeypatch.setattr(settings_pages, "voice_groups", counted)
    settings_pages.voice_choices.cache_clear()
    control.voice_list = MIXED
    first = client.get("/settings/").get_data(as_text=True)
    assert client.get("/settings/").get_data(as_text=True).count("<option") == first.count(
        "<option"
    )
    assert grouped == [len(MIXED)]
    control.voice_list = [*MIXED, ("gmw/en-x-new", "English (Newly installed)")]
    assert "English (Newly installed)" in client.get("/settings/").get_data(as_text=True)
    assert grouped == [len(MIXED), len(MIXED) + 1]
