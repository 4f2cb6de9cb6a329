"""Whose a clicker is: the config file's ``profile`` key, else the People page's choice."""

from __future__ import annotations

from device.service.clickers import ClickerSetting, button_specs
from routines.profiles import Profile

PEOPLE = [Profile(1, "Me"), Profile(2, "Ann"), Profile(3, "Ben")]


def test_the_people_page_gives_a_clicker_without_a_profile_key_an_owner() -> None:
    clickers = [ClickerSetting("AA:BB", "red")]
    assert button_specs(clickers, PEOPLE)["red"].owner is None
    assert button_specs(clickers, PEOPLE, {"red": 3})["red"].owner == 3


def test_the_config_files_profile_wins_over_the_page() -> None:
    clickers = [ClickerSetting("AA:BB", "red", profile="ann")]
    assert button_specs(clickers, PEOPLE, {"red": 3})["red"].owner == 2


def test_a_binding_to_someone_gone_is_nobodys() -> None:
    clickers = [ClickerSetting("AA:BB", "red")]
    assert button_specs(clickers, PEOPLE, {"red": 9})["red"].owner is None
