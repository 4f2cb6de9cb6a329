"""The Settings page's form: settings as text fields and back again."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from device.control import EffectiveSettings
from routines.model import Gesture
from routines.settings import GESTURES, MAX_VOLUME, Settings
from web_config.routine_form import number_or_text

NUMBER_FIELDS = (
    "voice_rate",
    "double_press_ms",
    "hold_ms",
    "long_hold_ms",
    "debounce_ms",
    "default_rest_seconds",
    "idle_reminder_seconds",
    "idle_pause_seconds",
    "abandon_after_minutes",
    "choice_step_ms",
)
MAX_PERCENT = round(MAX_VOLUME * 100)
VOLUME_RULE = f"must be a whole percentage from 0 to {MAX_PERCENT}"
PACE_RULE = "must be a whole percentage from 75 to 150"
VOICE_RULE = "must be one of the voices installed on this device"


def form_values(settings: Settings) -> dict[str, str]:
    """The settings as the form's field values (volume in percent)."""
    values = {name: str(getattr(settings, name)) for name in NUMBER_FIELDS}
    values["voice_id"] = settings.voice_id
    values["voice_engine"] = settings.voice_engine
    values["voice_volume"] = str(round(settings.voice_volume * 100))
    values["pace"] = str(round(settings.pace * 100))
    values["verbosity"] = settings.verbosity
    values["cue_sounds"] = settings.cue_sounds
    values["weekly_goal"] = "" if settings.weekly_goal is None else str(settings.weekly_goal)
    for gesture in GESTURES:
        action = settings.gesture_actions.get(Gesture(gesture))
        values[f"gesture-{gesture}"] = "" if action is None else str(action)
    values["open_session_buttons"] = "on" if settings.open_session_buttons else "off"
    values["members_start_workouts"] = "on" if settings.members_start_workouts else "off"
    values["progression"] = "on" if settings.progression else "off"
    return values


def form_values_of(effective: EffectiveSettings) -> dict[str, str]:
    """The field values of the settings the config file pins (shown, never edited here)."""
    values = form_values(effective.settings)
    return {name: values[name] for name in effective.pinned if name in values}


def changes_from_form(
    form: Mapping[str, str], voice_ids: Sequence[str]
) -> tuple[dict[str, object], dict[str, str]]:
    """The settings changes a posted form asks for, and the problems only the form can see
    (volume in percent, a voice that is not installed). The store judges the rest."""
    changes: dict[str, object] = {}
    problems: dict[str, str] = {}
    for name in NUMBER_FIELDS:
        if name in form:
            changes[name] = number_or_text(form[name])
    if "weekly_goal" in form:
        changes["weekly_goal"] = number_or_text(form["weekly_goal"])
    if "voice_volume" in form:
        volume = number_or_text(form["voice_volume"])
        if isinstance(volume, int) and 0 <= volume <= MAX_PERCENT:
            changes["voice_volume"] = volume / 100
        else:
            problems["voice_volume"] = VOLUME_RULE
    if "pace" in form:
        pace = number_or_text(form["pace"])
        if isinstance(pace, int) and 75 <= pace <= 150:
            changes["pace"] = pace / 100
        else:
            problems["pace"] = PACE_RULE
    if "verbosity" in form:
        changes["verbosity"] = form["verbosity"]
    if "voice_engine" in form:
        changes["voice_engine"] = form["voice_engine"]
    if "cue_sounds" in form:
        changes["cue_sounds"] = form["cue_sounds"]
    if "voice_id" in form:
        voice = form["voice_id"]
        if voice and voice not in voice_ids:
            problems["voice_id"] = VOICE_RULE
        else:
            changes["voice_id"] = voice
    for box in ("open_session_buttons", "members_start_workouts", "progression"):
        if box in form:
            # A ticked box comes first; the hidden "off" after it is sent either way.
            changes[box] = form[box] == "on"
    actions = {g: form[f"gesture-{g}"] for g in GESTURES if f"gesture-{g}" in form}
    if actions:
        changes["gesture_actions"] = actions
    return changes, problems
