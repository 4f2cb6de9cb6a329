"""The Now page gives the gestures of a clicker that cannot hold: counts of presses."""

from __future__ import annotations

from device.events import State, Status


def test_the_now_page_shows_the_counted_gestures_of_a_clicker_that_cannot_hold(client, control):
    panel = client.get("/now/panel").get_data(as_text=True)
    assert "cannot hold" not in panel
    control.current = Status(state=State.IDLE, counted_clickers=("Ann's remote",))
    panel = client.get("/now/panel").get_data(as_text=True)
    assert "Ann&#39;s remote cannot hold: count your presses" in panel
    for presses, action in [
        ("1 press", "next"),
        ("2 presses", "back"),
        ("3 presses", "repeat"),
        ("4 presses or more", "pause"),
    ]:
        assert f'<th scope="row">{presses}</th><td>{action}</td>' in panel
