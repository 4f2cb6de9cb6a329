"""The Settings page: voice, button timings and mapping, rest, weekly goal, access PIN."""

from __future__ import annotations

import functools

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from routines.errors import SettingsError
from routines.settings import ACTIONS, CUE_SOUNDS, GESTURES, parse_settings_changes
from routines.voice_list import Voice, VoiceGroup, hidden_count, voice_groups
from web_config.access_pin import hash_pin, pin_problem
from web_config.auth import login_required, pin_checker, start_login_session
from web_config.context import control, link, store
from web_config.settings_form import MAX_PERCENT, changes_from_form, form_values, form_values_of
from web_config.test_lines import TestLines

bp = Blueprint("settings", __name__, url_prefix="/settings")

# A line as the workout says it: a set, its reps and the press that moves on.
TEST_LINE = "Set 2 of 3. 10 reps of glute hip thrusts. Press after each rep."
MAX_TEST_LINE = 200


def _form_field(key: str) -> str:
    # The store names gesture problems "gesture_actions.hold"; the form calls that field
    # "gesture-hold".
    if key.startswith("gesture_actions."):
        return "gesture-" + key.removeprefix("gesture_actions.")
    return key


@functools.lru_cache(maxsize=8)
def voice_choices(
    voices: tuple[Voice, ...], show_all: bool, selected: str
) -> tuple[list[VoiceGroup], int]:
    """The voice list's groups and how many it leaves out, worked out once per list: the
    daemon's list changes seldom, and sorting its hundred-odd espeak-ng voices into
    groups was a third of the page's time. The groups are shared: only read them."""
    return voice_groups(voices, show_all=show_all, selected=selected), hidden_count(voices)


def _page(
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    settings = store().settings()
    effective = control().settings()
    shown = {_form_field(k): v for k, v in (errors or {}).items()}
    values = {**(values or form_values(settings)), **form_values_of(effective)}
    show_all = request.args.get("voices") == "all"
    groups, hidden = voice_choices(tuple(control().voices()), show_all, values.get("voice_id", ""))
    page = render_template(
        "settings.html",
        values=values,
        pinned=effective.pinned,
        errors=shown,
        pin_set=bool(settings.pin_hash),
        pin_short=pin_checker().is_short(settings.pin_hash),
        voice_groups=groups,
        show_all_voices=show_all,
        other_voices=hidden,
        max_volume=MAX_PERCENT,
        cue_sounds=CUE_SOUNDS,
        gestures=GESTURES,
        actions=ACTIONS,
        test_line=TEST_LINE,
    )
    return page, status


@bp.route("/", methods=["GET", "POST"])
@login_required
def page() -> ResponseReturnValue:
    """Show the settings; save the posted form after checking every field."""
    if request.method == "GET":
        return _page()
    voice_ids = [voice_id for voice_id, _ in control().voices()]
    changes, problems = changes_from_form(request.form, voice_ids)
    try:
        if problems:
            # Check the rest too, so that every problem shows at once.
            parse_settings_changes(changes, store().settings())
            raise SettingsError(problems)
        store().update_settings(changes)
    except SettingsError as err:
        return _page(dict(request.form), {**err.errors, **problems}, 422)
    flash("Settings saved.", "ok")
    return redirect(url_for("settings.page"))


@bp.route("/test-voice", methods=["POST"])
def test_voice() -> ResponseReturnValue:
    """Speak a line with the saved voice settings."""
    text = " ".join(request.form.get("text", "").split())[:MAX_TEST_LINE] or TEST_LINE
    wait = test_lines().wait_for(text)
    if wait:
        flash(f"That is a lot of new test lines: try another in {wait} seconds.", "error")
        return redirect(url_for("settings.page"))
    control().test_voice(text)
    flash("Speaking now.", "ok")
    return redirect(url_for("settings.page"))


def test_lines() -> TestLines:
    """The app's allowance of new test lines."""
    found: TestLines = current_app.extensions.setdefault(
        "spotter.test_lines", TestLines(link().clock)
    )
    return found


@bp.route("/pin", methods=["POST"])
def set_pin() -> ResponseReturnValue:
    """Set or change the access PIN (typed twice); this browser stays logged in."""
    pin = request.form.get("pin", "")
    problem = pin_problem(pin)
    if problem is None and pin != request.form.get("pin_again", ""):
        problem = "the two PINs are not the same"
    if problem is not None:
        return _page(errors={"pin": problem}, status=422)
    settings = store().update_settings({"pin_hash": hash_pin(pin)})
    start_login_session(settings.pin_hash)
    flash("PIN set. Changes now need the PIN; watching the Now page does not.", "ok")
    return redirect(url_for("settings.page"))


@bp.route("/pin/remove", methods=["POST"])
def remove_pin() -> ResponseReturnValue:
    """Remove the PIN: anyone on this network may change things again."""
    store().update_settings({"pin_hash": ""})
    flash("PIN removed. Anyone on this network can now change routines and settings.", "ok")
    return redirect(url_for("settings.page"))
