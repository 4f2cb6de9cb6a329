"""The keyboard simulator turns keys into real edges on gpiozero's mock pin."""

from __future__ import annotations

import io

from gpiozero import Button

from device.hardware.simulate import KEY_LINE_LIMIT, SimulatedFinger, drive_from_keys, key_lines
from device.testing import FakeClock


class Recorder:
    """Watches a real gpiozero Button and notes each edge with the fake time."""

    def __init__(self, button: Button, clock: FakeClock) -> None:
        self.edges: list[tuple[bool, float]] = []
        self.button = button  # a Button that is garbage-collected stops reporting
        button.when_pressed = lambda: self.edges.append((True, clock()))
        button.when_released = lambda: self.edges.append((False, clock()))


def make_finger(mock_factory, clock: FakeClock):
    button = Button(17, pull_up=True, bounce_time=None)
    recorder = Recorder(button, clock)
    finger = SimulatedFinger(
        mock_factory.pin(17), double_window=0.4, hold=1.0, long_hold=3.0, sleep=clock.advance
    )
    return finger, recorder


def durations(edges: list[tuple[bool, float]]) -> list[float]:
    downs = [t for pressed, t in edges if pressed]
    ups = [t for pressed, t in edges if not pressed]
    return [round(up - down, 3) for down, up in zip(downs, ups, strict=True)]


def test_enter_is_one_short_press_that_leaves_the_double_window(mock_factory, clock):
    finger, rec = make_finger(mock_factory, clock)
    start = clock()
    drive_from_keys(["\n"], finger, on_unknown=lambda k: None)
    assert [p for p, _ in rec.edges] == [True, False]
    assert durations(rec.edges) == [0.06]
    # The next key cannot land inside the double-press window of this one.
    assert clock() - rec.edges[-1][1] > 0.4
    assert clock() > start


def test_d_is_two_short_presses_inside_the_window(mock_factory, clock):
    finger, rec = make_finger(mock_factory, clock)
    drive_from_keys(["d"], finger, on_unknown=lambda k: None)
    assert [p for p, _ in rec.edges] == [True, False, True, False]
    gap = rec.edges[2][1] - rec.edges[1][1]
    assert 0.02 < gap < 0.4


def test_h_holds_between_the_hold_and_long_hold_times(mock_factory, clock):
    finger, rec = make_finger(mock_factory, clock)
    drive_from_keys(["h"], finger, on_unknown=lambda k: None)
    (held,) = durations(rec.edges)
    assert 1.0 < held < 3.0


def test_l_holds_past_the_long_hold_time(mock_factory, clock):
    finger, rec = make_finger(mock_factory, clock)
    drive_from_keys(["L\n"], finger, on_unknown=lambda k: None)
    (held,) = durations(rec.edges)
    assert held > 3.0


def test_q_stops_reading_and_unknown_keys_are_reported(mock_factory, clock):
    finger, rec = make_finger(mock_factory, clock)
    unknown: list[str] = []
    drive_from_keys(["x", "q", "\n"], finger, on_unknown=unknown.append)
    assert unknown == ["x"]
    assert rec.edges == []


class EndlessLine(io.TextIOBase):
    """Input that goes on for ``chunks`` reads without a newline, then ends the line and
    quits; it remembers the most any read asked for."""

    def __init__(self, chunks: int) -> None:
        self.chunks = chunks
        self.largest_read = 0
        self.rest = ["\n", "q\n"]

    def readline(self, size: int | None = -1) -> str:  # type: ignore[override]
        if size is None or size < 0:
            raise AssertionError("an unbounded read of a line that never ends")
        self.largest_read = max(self.largest_read, size)
        if self.chunks:
            self.chunks -= 1
            return "x" * size
        return self.rest.pop(0) if self.rest else ""


def test_input_that_never_ends_a_line_is_read_in_small_pieces_and_reported_once(
    mock_factory, clock
):
    finger, rec = make_finger(mock_factory, clock)
    stream = EndlessLine(chunks=10_000)  # 800 KB of one line
    unknown: list[str] = []
    drive_from_keys(key_lines(stream), finger, on_unknown=unknown.append)
    assert stream.largest_read == KEY_LINE_LIMIT
    assert unknown == ["x" * KEY_LINE_LIMIT]
    assert rec.edges == []  # and the q after it was read: the loop ended


def test_keys_after_a_long_line_still_work():
    stream = io.StringIO("y" * 500 + "\n\nd\n")
    assert list(key_lines(stream)) == ["y" * KEY_LINE_LIMIT, "\n", "d\n"]
