"""The phone page in a real headless Chromium, against a running ``spotter run --simulate``."""

from __future__ import annotations

import contextlib
import itertools
import os
import selectors
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.ports import free_port

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "now-page.png"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.serial,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed"),
]


def wait_for_line(stream: object, wanted: str, seen: list[str], deadline: float) -> None:
    """Read the daemon's log until ``wanted`` appears (it is serving then)."""
    selector = selectors.DefaultSelector()
    selector.register(stream, selectors.EVENT_READ)  # type: ignore[arg-type]
    while time.monotonic() < deadline:
        if not selector.select(timeout=deadline - time.monotonic()):
            break
        line = stream.readline()  # type: ignore[attr-defined]
        if not line:
            break
        seen.append(line)
        if wanted in line:
            return
    raise AssertionError("spotter did not start serving:\n" + "".join(seen))


@dataclass
class RunningSpotter:
    url: str
    process: subprocess.Popen[str]

    def key(self, keys: str) -> None:
        """Type on the simulated button's keyboard (Enter = press)."""
        assert self.process.stdin is not None
        self.process.stdin.write(keys)
        self.process.stdin.flush()


@contextlib.contextmanager
def running_spotter(data_dir: Path) -> Iterator[RunningSpotter]:
    """A real ``spotter run --simulate`` on a free port, keeping its data in ``data_dir``."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "device.cli", "run", "--simulate", "--silent",
         "--data-dir", str(data_dir), "--host", "127.0.0.1", "--port", str(port)],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    log: list[str] = []
    try:
        wait_for_line(process.stderr, "web page on", log, time.monotonic() + 30)
        # Keep reading its log so that the daemon never blocks on a full pipe.
        threading.Thread(target=log.extend, args=(process.stderr,), daemon=True).start()
        yield RunningSpotter(f"http://127.0.0.1:{port}", process)
    finally:
        assert process.stdin is not None
        process.stdin.close()  # end of input: the simulated button stops the daemon
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def spotter(tmp_path: Path) -> Iterator[RunningSpotter]:
    with running_spotter(tmp_path / "data") as running:
        yield running


def test_a_phone_drives_a_workout_from_the_page(spotter: RunningSpotter) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(
                viewport={"width": 390, "height": 844},
                device_scale_factor=2,
                is_mobile=True,
                has_touch=True,
            )
            page = context.new_page()
            page.on("dialog", lambda dialog: dialog.accept())
            state = page.locator("#panel .state")
            heading = page.locator("#panel h1")

            # The Now page, and the on-screen press starts the active routine.
            page.goto(spotter.url + "/")
            expect(state).to_contain_text("Ready")
            expect(heading).to_have_text("Lower-back relief")
            page.get_by_role("button", name="Press", exact=True).tap()
            # The shipped routine first asks about pain: the phone answers, 0 to 10.
            pain = page.get_by_role("group", name="Before the workout: how much pain in your back?")
            expect(pain.get_by_role("button")).to_have_count(11)
            pain.get_by_role("button", name="4", exact=True).tap()
            expect(state).to_contain_text("Getting ready")
            expect(pain).to_have_count(0)
            expect(heading).to_have_text("Hip flexor wall stretch")
            expect(page.locator("#panel .spoken")).to_contain_text("Press when you are in position")
            # Nothing focused or animating, so the picture only changes when the page does.
            page.evaluate("document.activeElement && document.activeElement.blur()")
            SCREENSHOT.parent.mkdir(exist_ok=True)
            page.screenshot(path=str(SCREENSHOT), animations="disabled", caret="hide")

            page.get_by_role("button", name="End workout").tap()  # confirmed by the dialog
            expect(state).to_contain_text("Finished")
            # And after: the answer goes with the workout, into the history.
            after = page.get_by_role("group", name="After the workout: how much pain in your back?")
            after.get_by_role("button", name="2", exact=True).tap()
            expect(after).to_have_count(0)
            page.get_by_role("link", name="History").tap()
            expect(page.locator(".cards")).to_contain_text("pain 4 → 2")

            # Write a routine through the form, with a second exercise added on the page.
            page.get_by_role("link", name="Routines").tap()
            page.get_by_role("link", name="New routine").tap()
            page.fill("#name", "Desk break")
            page.fill("#ex-0-name", "Chair squats")
            page.fill("#ex-0-sets", "2")
            page.fill("#ex-0-reps", "3")
            page.fill("#ex-0-rest_seconds", "0")
            page.get_by_role("button", name="Add an exercise").tap()
            page.fill("#ex-1-name", "Wall sit")
            page.fill("#ex-1-sets", "1")
            page.check("input[name=ex-1-kind][value=hold]")
            page.fill("#ex-1-hold_seconds", "20")
            # The first exercise, named and complete, was folded away when the second came.
            expect(page.locator("#ex-0-cues")).to_be_hidden()
            page.locator("#exercise-0 summary").tap()
            page.fill("#ex-0-cues", "Sit back slowly.\nStand tall.")
            page.locator(".editor .primary", has_text="Save").tap()
            card = page.locator("#routine-desk-break")
            expect(card).to_contain_text("Desk break")
            expect(card).to_contain_text("2 exercises · 3 sets")

            # Make it the active routine, start it from Now and step through with the page.
            card.get_by_role("button", name="Make active").tap()
            expect(page.locator("#routine-desk-break .badge")).to_have_text("Active")
            page.get_by_role("link", name="Now").tap()
            page.get_by_role("button", name="Start Desk break").tap()
            expect(heading).to_have_text("Chair squats")
            expect(state).to_contain_text("Desk break")
            press = page.get_by_role("button", name="Press", exact=True)
            press.tap()
            expect(state).to_contain_text("Working")
            expect(page.locator("#panel .figures")).to_contain_text("1 of 2")
            press.tap()
            expect(page.locator("#panel .figures")).to_contain_text("Rep1 of 3")

            # The physical button (simulated: Enter) shows up on the page by itself.
            spotter.key("\n")
            expect(page.locator("#panel .figures")).to_contain_text("Rep2 of 3")

            # Back takes the last rep back.
            page.get_by_role("button", name="Back", exact=True).tap()
            expect(page.locator("#panel .figures")).to_contain_text("Rep1 of 3")
            expect(page.locator("#panel .spoken")).to_contain_text("1 done, 2 to go.")
        finally:
            browser.close()


HISTORY_SCREENSHOT = SCREENSHOT.with_name("history-page.png")


def seed_weeks_of_workouts(data_dir: Path, now: float) -> int:
    """Ten weeks of lower-back workouts for the first profile, three a week but for two weeks
    of two, pain easing as they go; and a second person. Returns how many were written."""
    from routines.store import HistoryEntry, SetReps, Store
    from routines.week import week_start

    written = 0
    with Store.open(data_dir) as store:
        store.create_profile({"name": "Alex", "weekly_goal": 2})
        for week in range(10, 0, -1):
            monday = week_start(week_start(now) - (week - 1) * 7 * 86400 - 1)
            for n, day in enumerate((0, 2, 4)[: 2 if week in (7, 8) else 3]):
                finished = monday + day * 86400 + 18 * 3600
                before = min(10, 2 + week // 2 + n % 2)
                store.add_history(
                    HistoryEntry(
                        routine_id="lower-back",
                        routine_name="Lower-back relief",
                        started_at=finished - 22 * 60,
                        finished_at=finished,
                        exercises_done=4,
                        sets_done=12,
                        completed=True,
                        pain_before=before,
                        pain_after=max(0, before - 2 + (week + n) % 3),
                        sets_planned=12,
                        set_reps=(SetReps("Glute hip thrusts", 3, 8, 10),) if week % 4 == 0 else (),
                    )
                )
                written += 1
    return written


def phone(browser: object) -> object:
    return browser.new_context(  # type: ignore[attr-defined]
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )


def test_a_phone_picks_who_trains_and_reads_their_history(tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    data_dir = tmp_path / "data"
    workouts = seed_weeks_of_workouts(data_dir, time.time())
    with running_spotter(data_dir) as spotter, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = phone(browser).new_page()  # type: ignore[attr-defined]
            state = page.locator("#panel .state")

            # Two people: the Now page says who is training and lets the phone change it.
            page.goto(spotter.url + "/")
            expect(state).to_contain_text("Me")
            who = page.get_by_role("group", name="Who's training?")
            who.get_by_role("button", name="Alex").tap()
            expect(state).to_contain_text("Alex")
            expect(who.get_by_role("button", name="Alex")).to_have_attribute("aria-pressed", "true")
            who.get_by_role("button", name="Me").tap()
            expect(state).to_contain_text("Me")

            # History opens on the one training, with both charts drawn.
            page.get_by_role("link", name="History").tap()
            expect(page.locator("h1")).to_have_text("History · Me")
            pain = page.get_by_role("img", name="Pain before and after each workout")
            expect(pain).to_be_visible()
            assert pain.bounding_box()["height"] > 100
            # A mark for every workout, and one in the legend.
            expect(pain.locator("circle.before")).to_have_count(workouts + 1)
            weeks = page.get_by_role("img", name="Workouts per week against the goal")
            expect(weeks).to_be_visible()
            expect(page.locator(".streak")).to_contain_text("Goal met 6 weeks in a row")
            page.evaluate("document.activeElement && document.activeElement.blur()")
            # From the top of the page to the end of the second chart.
            bottom = weeks.bounding_box()
            page.screenshot(
                path=str(HISTORY_SCREENSHOT),
                full_page=True,
                clip={"x": 0, "y": 0, "width": 390, "height": bottom["y"] + bottom["height"] + 24},
                animations="disabled",
                caret="hide",
            )

            # The other person's history is one tap away, and empty.
            page.get_by_role("link", name="Alex").tap()
            expect(page.locator("h1")).to_have_text("History · Alex")
            expect(page.get_by_text("No workouts yet")).to_be_visible()
            download = page.get_by_role("link", name="Download all of Alex's workouts (CSV)")
            expect(download).to_have_attribute("href", "/api/history.csv?profile=2")
        finally:
            browser.close()


KNEE_ROUTINE = {
    "id": "knee",
    "name": "Knee strength",
    "checkin": {"kind": "pain", "area": "knee"},
    "exercises": [
        {
            "name": "Straight leg raise",
            "sets": 2,
            "reps": 8,
            "count": "paced",
            "tempo": [{"say": "Up", "seconds": 2}, {"say": "Down", "seconds": 2}],
            "rest_seconds": 10,
        },
        {
            "name": "Single-leg balance",
            "sets": 2,
            "hold_seconds": 20,
            "sides": "both",
            "side_order": "one_side_first",
            "side_cues": {"left": "Stand on the left leg.", "right": "Stand on the right leg."},
        },
        {"name": "Clamshells", "sets": 2, "reps": 10, "sides": "both", "rest_seconds": 5},
        {
            "name": "Chair squats",
            "sets": 3,
            "reps": 10,
            "count": "per_set",
            "rest_seconds": 15,
            "equipment": ["chair"],
            "setup": ["Stand in front of the chair, feet hip-width apart."],
            "cues": ["Sit back slowly.", "Stand tall."],
        },
    ],
}
# The editor's per-set exercise below measured 1,623 px tall on this page before it showed
# only the fields of its count mode.
EDITOR_EXERCISE_BEFORE = 1623


def seed_knee_routine(data_dir: Path, now: float) -> None:
    """The knee routine, active, and its check-ins: two workouts yesterday, one the day before."""
    from routines.store import HistoryEntry, Store
    from routines.validation import parse_routine

    with Store.open(data_dir) as store:
        store.save_routine(parse_routine(KNEE_ROUTINE))
        store.set_active_routine("knee")
        for finished, before, after in (
            (now - 2 * 86400, 5, 4),
            (now - 86400 - 6 * 3600, 4, 3),
            (now - 86400, 3, 3),
        ):
            store.add_history(
                HistoryEntry(
                    routine_id="knee",
                    routine_name="Knee strength",
                    started_at=finished - 20 * 60,
                    finished_at=finished,
                    exercises_done=4,
                    sets_done=9,
                    completed=True,
                    pain_before=before,
                    pain_after=after,
                    sets_planned=9,
                )
            )


def no_sideways_pan(page: object) -> int:
    width = page.evaluate("document.documentElement.scrollWidth")  # type: ignore[attr-defined]
    assert width <= 390, f"the page is {width} px wide on a 390 px screen"
    return int(width)


def answer_boxes(page: object) -> tuple[list[float], list[list[object]]]:
    """The card's left edge and width, and each answer's label and box, read in one
    script: the page redraws the card every second, and measuring one button at a time
    can find it between two drawings."""
    return page.evaluate(  # type: ignore[attr-defined, no-any-return]
        """() => {
            const card = document.querySelector('#panel').getBoundingClientRect();
            const buttons = [...document.querySelectorAll('#panel [role=group] button')];
            return [[card.x, card.width], buttons.map(b => {
                const r = b.getBoundingClientRect();
                return [b.textContent.trim(), r.x, r.width, r.height];
            })];
        }"""
    )


def test_now_history_and_editor_fit_a_390_px_phone(tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    data_dir = tmp_path / "data"
    seed_knee_routine(data_dir, time.time())
    with running_spotter(data_dir) as spotter, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = phone(browser).new_page()  # type: ignore[attr-defined]
            page.goto(spotter.url + "/")
            expect(page.locator("#panel .press-does")).to_have_text("Press: start Knee strength")
            page.get_by_role("button", name="Press", exact=True).tap()

            # The question names the knee, and all eleven answers sit inside the card.
            pain = page.get_by_role("group", name="Before the workout: how much pain in your knee?")
            expect(pain.get_by_role("button")).to_have_count(11)
            expect(page.locator("#panel .press-does")).to_contain_text("choose the number")
            no_sideways_pan(page)
            # Also with the phone's text set larger, as many people have it.
            for text_size in ("100%", "125%"):
                page.evaluate(f"document.documentElement.style.fontSize = '{text_size}'")
                no_sideways_pan(page)
                card, boxes = answer_boxes(page)
                assert [label for label, *_ in boxes] == [str(n) for n in range(11)]
                for _, left, width, height in boxes:
                    assert card[0] <= left and left + width <= card[0] + card[1], text_size
                    assert width >= 44 and height >= 44  # still a thumb's target
            page.evaluate("document.documentElement.style.fontSize = ''")
            page.evaluate("document.activeElement && document.activeElement.blur()")
            page.screenshot(path=str(tmp_path / "now-question.png"), full_page=True)
            pain.get_by_role("button", name="3", exact=True).tap()
            expect(page.locator("#panel h1")).to_have_text("Straight leg raise")
            does = page.locator("#panel .press-does")
            expect(does).to_have_text("Press: start the first set")
            press = page.get_by_role("button", name="Press", exact=True)
            press.tap()
            expect(does).to_have_text("Press: start the pacing")
            press.tap()
            expect(does).to_have_text("Press: stop the set early")
            press.tap()
            # The rest says what a press does and which set follows it.
            expect(does).to_have_text("Press: skip the rest")
            expect(page.locator("#panel .next-up")).to_have_text("Next: Set 2 of 2: 8 reps")
            no_sideways_pan(page)
            page.evaluate("document.activeElement && document.activeElement.blur()")
            page.screenshot(path=str(tmp_path / "now-rest.png"), full_page=True)

            # History: no sideways pan, and two workouts on one day are two marks apart.
            page.goto(spotter.url + "/history")
            no_sideways_pan(page)
            chart = page.get_by_role("img", name="Pain before and after each workout")
            xs = [
                float(x)
                for x in chart.locator("circle.before").evaluate_all(
                    "marks => marks.map(m => m.getAttribute('cx'))"
                )[:-1]  # the legend's mark comes last
            ]
            assert len(xs) == 3 and min(b - a for a, b in itertools.pairwise(xs)) > 50
            expect(page.locator(".cards")).to_contain_text("knee pain 3 → 3")
            page.screenshot(path=str(tmp_path / "history.png"), full_page=True)

            # The editor: every exercise folded; a per-set one shows only its own fields.
            page.goto(spotter.url + "/routines/knee/edit")
            no_sideways_pan(page)
            expect(page.locator("#checkin_area")).to_have_value("knee")
            expect(page.locator("details.exercise[open]")).to_have_count(0)
            page.locator("#exercise-3 summary").tap()
            expect(page.locator("#ex-3-reps")).to_be_visible()
            for hidden in ("tempo", "hold_seconds", "first_side", "side_order", "side_cue_left"):
                expect(page.locator(f"#ex-3-{hidden}")).to_be_hidden()
            height = page.locator("#exercise-3").bounding_box()["height"]
            print(f"per-set exercise unfolded: {height:.0f} px (was {EDITOR_EXERCISE_BEFORE})")
            page.evaluate("document.activeElement && document.activeElement.blur()")
            page.screenshot(path=str(tmp_path / "editor.png"), full_page=True)
            assert height < EDITOR_EXERCISE_BEFORE * 0.6
            no_sideways_pan(page)
            # Choosing another count mode or sides shows their fields at once.
            page.select_option("#ex-3-count", "paced")
            expect(page.locator("#ex-3-tempo")).to_be_visible()
            page.select_option("#ex-3-sides", "both")
            expect(page.locator("#ex-3-side_cue_left")).to_be_visible()
            assert page.locator("#ex-3-side_cue_left").evaluate("e => e.tagName") == "TEXTAREA"
            page.check("input[name=ex-3-kind][value=hold]")
            expect(page.locator("#ex-3-hold_seconds")).to_be_visible()
            expect(page.locator("#ex-3-reps")).to_be_hidden()
            expect(page.locator("#ex-3-tempo")).to_be_hidden()

            # Settings: voice, volume and how much Spotter says on the first screen.
            page.goto(spotter.url + "/settings/")
            no_sideways_pan(page)
            for common in ("#voice_id", "#voice_volume", "#verbosity"):
                box = page.locator(common).bounding_box()
                assert box["y"] + box["height"] <= 844, common
            tall = page.evaluate("document.documentElement.scrollHeight")
            print(f"settings: {tall} px, {tall / 844:.1f} screens")
            page.screenshot(path=str(tmp_path / "settings.png"), full_page=True)
            page.goto(spotter.url + "/people/")
            no_sideways_pan(page)
        finally:
            browser.close()


def seed_a_suggestion(data_dir: Path) -> None:
    """A routine with rules, active, and a longer hold offered to the one training."""
    from routines.model import Dose, Suggestion
    from routines.store import Store
    from routines.validation import parse_routine
    from tests.web.test_doses import GROWING

    with Store.open(data_dir) as store:
        store.save_routine(parse_routine(GROWING))
        store.set_active_routine("growing")
        store.suggest_dose(
            Suggestion(1, "growing", "Wall sit", "up", Dose(3, hold_seconds=30),
                       Dose(3, hold_seconds=35), time.time() - 60)
        )  # fmt: skip


def test_a_phone_agrees_to_a_suggested_dose_and_edits_the_rules(tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    data_dir = tmp_path / "data"
    seed_a_suggestion(data_dir)
    with running_spotter(data_dir) as spotter, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = phone(browser).new_page()  # type: ignore[attr-defined]
            page.goto(spotter.url + "/")
            card = page.get_by_role("group", name="Suggested")
            expect(card).to_contain_text("Wall sit at 3 \u00d7 35 s next time")
            no_sideways_pan(page)
            agree = card.get_by_role("button", name="Agree: 3 \u00d7 35 s")
            box = agree.bounding_box()
            assert box["height"] >= 44 and box["x"] + box["width"] <= 390
            page.screenshot(path=str(tmp_path / "suggestion.png"), full_page=True)
            agree.tap()
            # The page's script sends the answer and the card goes with the next refresh.
            expect(card).to_have_count(0)
            doses = page.request.get(spotter.url + "/api/profiles/1/doses").json()
            assert doses["exercises"][0]["dose"]["hold_seconds"] == 35
            assert doses["suggestions"] == []

            # The editor: the rules sit folded away behind their box until it is ticked.
            page.goto(spotter.url + "/routines/growing/edit")
            page.locator("#exercise-2 summary").tap()
            expect(page.locator("#ex-2-every")).to_be_hidden()
            page.locator("#ex-2-progression").check()
            expect(page.locator("#ex-2-every")).to_be_visible()
            expect(page.locator("#ex-2-step-0-field")).to_have_value("hold_seconds")
            no_sideways_pan(page)
            # A step without its ceiling: refused, the error at that field, nothing lost.
            page.fill("#ex-2-step-0-by", "5")
            page.get_by_role("button", name="Save").last.tap()
            error = page.locator("#ex-2-step-0-up_to-error")
            expect(error).to_be_visible()
            expect(error).to_contain_text("required")
            expect(page.locator("#ex-2-step-0-by")).to_have_value("5")
            no_sideways_pan(page)
            page.screenshot(path=str(tmp_path / "editor-rules.png"), full_page=True)
            page.fill("#ex-2-step-0-up_to", "40")
            page.get_by_role("button", name="Save").last.tap()
            expect(page.locator(".flash")).to_contain_text("Saved Growing")
            routine = page.request.get(spotter.url + "/api/routines/growing").json()
            assert routine["exercises"][2]["progression"]["steps"] == [
                {"hold_seconds": 5, "up_to": 40}
            ]
        finally:
            browser.close()
