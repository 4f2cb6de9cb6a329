"""Bad input, generated: routine documents, API bodies, form fields, uploaded files and config
files. Whatever arrives, Spotter never crashes or answers 500, every rejection names a
field that is really there (or a required one that is missing), and a rejected change
leaves the store's file exactly as it was, byte for byte.
"""

from __future__ import annotations

import io
import json
import os
import re
import tempfile
import tomllib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from device.service.config import (
    SCHEMA,
    TOP_LEVEL,
    ConfigError,
    check_config_file,
    env_name,
    load_config,
)
from routines.errors import RoutineError
from routines.settings import GESTURES, SETTING_NAMES
from routines.store import DB_NAME, Store
from routines.validation import EXERCISE_FIELDS, ROUTINE_FIELDS, parse_routine, routine_from_yaml
from tests.dummy_control import DummyControl
from tests.web_support import TOKEN
from web_config import MAX_BODY_BYTES, create_app
from web_config.routine_form import ExerciseDraft
from web_config.settings_form import NUMBER_FIELDS

# Hundreds of examples a test, through the real app, store and config loader.
pytestmark = pytest.mark.slow

# In CI the examples are the same on every run, so a red build is one anybody can repeat.
_PROFILE: dict[str, Any] = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow],
    "derandomize": bool(os.environ.get("CI")),
}
FEW = settings(max_examples=60, **_PROFILE)
SOME = settings(max_examples=100, **_PROFILE)

# -- what generated input looks like ---------------------------------------------------------

# Values near every rule's edges, of every JSON type, plus text that is hard to handle.
awkward_text = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", " ", "\t\n", "left", "both", "per_set", "²", "10", "1e3", "x" * 301]),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=60, max_size=90),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.sampled_from([0, 1, -1, 3, 14, 15, 20, 21, 200, 201, 600, 601, 2**63, -(2**70)]),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.just(10.0),
    awkward_text,
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
# Of the JSON values, those that survive a round trip through JSON (no NaN).
plain_json_values = json_values.filter(lambda v: _json_safe(v))


def _json_safe(value: object) -> bool:
    try:
        json.dumps(value, allow_nan=False)
    except ValueError:
        return False
    return True


def near_miss_keys(known: tuple[str, ...]) -> st.SearchStrategy[str]:
    """The right field names, typos of them and strangers."""
    return st.one_of(
        st.sampled_from(known),
        st.sampled_from(known).map(lambda k: k[:-1] or "x"),
        st.text(max_size=10),
    )


good_exercise = st.fixed_dictionaries(
    {"name": st.just("Bridge"), "sets": st.integers(1, 20)},
    optional={"reps": st.integers(1, 200), "cues": st.lists(st.just("Slowly."), max_size=2)},
)
exercise_docs = st.one_of(
    good_exercise,
    st.dictionaries(near_miss_keys(EXERCISE_FIELDS), json_values, max_size=7),
    st.builds(
        lambda good, bad: {**good, **bad},
        good_exercise,
        st.dictionaries(near_miss_keys(EXERCISE_FIELDS), json_values, max_size=3),
    ),
    json_values,
)
routine_docs = st.one_of(
    st.fixed_dictionaries(
        {"name": awkward_text, "exercises": st.lists(exercise_docs, max_size=3)},
        optional={
            "id": awkward_text,
            "description": json_values,
            "sessions_per_week": scalars,
            "exercise": json_values,
            "version": scalars,
        },
    ),
    st.dictionaries(near_miss_keys(ROUTINE_FIELDS), json_values, max_size=5),
    json_values,
)


# -- judging the answers ----------------------------------------------------------------------

_FIELDS_AT = {
    "routine": ROUTINE_FIELDS,
    "exercise": EXERCISE_FIELDS,
    "checkin": frozenset({"kind", "area"}),  # checkin: {kind: pain, area: knee}
}
_ITEMS_OF = {"exercises": "exercise"}


def names_real_field(node: object, path: str, level: str = "routine") -> bool:
    """True if ``path`` (``exercises[2].reps``) leads to something in the document ``node``,
    or ends at a field of the schema that the document left out (a required one)."""
    if isinstance(node, list):
        match = re.match(r"\[(\d+)\]", path)
        if match is None or int(match.group(1)) >= len(node):
            return False
        rest = path[match.end() :]
        item = node[int(match.group(1))]
        item_level = _ITEMS_OF.get(level, "item")
        return (
            rest == ""
            or (rest.startswith(".") and names_real_field(item, rest[1:], item_level))
            or (rest.startswith("[") and names_real_field(item, rest, item_level))
        )
    if isinstance(node, Mapping):
        for key in node:
            name = str(key)
            if path == name:
                return True
            if path.startswith((name + ".", name + "[")):
                rest = path[len(name) :].removeprefix(".")
                if names_real_field(node[key], rest, name):
                    return True
        return path in _FIELDS_AT.get(level, ())
    return False


def test_the_path_judge_itself() -> None:
    doc = {"name": 1, "exercises": [{"sets": 0, "setup": ["a", 2]}], "odd.key": 1}
    for good in (
        "name",
        "exercises",
        "exercises[0]",
        "exercises[0].sets",
        "exercises[0].reps",
        "exercises[0].setup[1]",
        "odd.key",
        "id",
    ):
        assert names_real_field(doc, good), good
    for bad in (
        "nam",
        "exercises[1]",
        "exercises[0].setup[2]",
        "exercises[0].bogus",
        "exercises.sets",
        "sets",
        "exercises[0].setup[0].x",
    ):
        assert not names_real_field(doc, bad), bad


def check_routine_errors(doc: object, err: RoutineError) -> None:
    assert err.errors, "a rejection lists at least one problem"
    for key, message in err.errors.items():
        assert isinstance(message, str) and message.strip(), key
        if isinstance(doc, Mapping):
            assert names_real_field(doc, key), f"{key!r} is not a field of {doc!r}"
        else:
            assert key in ("routine", "file"), key


# -- routine documents ------------------------------------------------------------------------


@SOME
@given(routine_docs)
def test_parse_routine_accepts_or_names_every_bad_field(doc: Any) -> None:
    try:
        routine = parse_routine(doc)
    except RoutineError as err:
        check_routine_errors(doc, err)
        return
    # What was accepted is a routine that reads back to itself.
    assert parse_routine(routine.to_dict()) == routine


@SOME
@given(
    st.one_of(
        routine_docs.map(lambda d: yaml.safe_dump(d, allow_unicode=True)),
        st.text(max_size=200),
        st.binary(max_size=200),
        st.sampled_from(
            [
                "a: &a [*a]",
                "name: [unclosed",
                "!!python/object/apply:os.system ['true']",
                "\ufeffname: x\nexercises: []",
                "exercises:\n" + "  - " * 200 + "x",
                "name: x\nname: y\nexercises: [{name: a, sets: 1, reps: 1}]",
            ]
        ),
    )
)
def test_routine_files_never_crash_the_reader(text: str | bytes) -> None:
    try:
        routine_from_yaml(text, source="upload.yaml")
    except RoutineError as err:
        assert err.errors
        assert all(isinstance(m, str) and m for m in err.errors.values())


# -- the web: a fresh device per example --------------------------------------------------------


@dataclass
class Device:
    client: FlaskClient
    data_dir: Path

    def file_bytes(self) -> tuple[bytes, bytes]:
        """The database and its write-ahead log, exactly as on disk."""
        wal = self.data_dir / f"{DB_NAME}-wal"
        return (self.data_dir / DB_NAME).read_bytes(), wal.read_bytes() if wal.exists() else b""

    def csrf(self) -> str:
        match = TOKEN.search(self.client.get("/routines/new").get_data(as_text=True))
        assert match
        return match.group(1)


@contextmanager
def device() -> Iterator[Device]:
    """A device with a real store on disk, as the web page meets it."""
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        store = Store.open(data_dir)
        try:
            app = create_app({"TESTING": True}, store=store, control=DummyControl(store=store))
            yield Device(app.test_client(), data_dir)
        finally:
            store.close()


def check_refusal(response: Any, before: tuple[bytes, bytes], d: Device) -> None:
    """A refused request: an error the client can act on, and nothing written."""
    assert response.status_code != 500
    if response.status_code < 400:
        return
    assert d.file_bytes() == before, "a refused request changed the store"


def check_api_refusal(response: Any, body: object, before: tuple[bytes, bytes], d: Device) -> None:
    check_refusal(response, before, d)
    if response.status_code < 400:
        return
    answer = response.get_json()
    assert isinstance(answer, dict) and answer.get("error"), response.get_data(as_text=True)
    if response.status_code == 422:
        fields = answer.get("fields")
        assert isinstance(fields, dict) and fields, "a 422 names the fields at fault"
        for key in fields:
            assert names_real_field(body, key), f"{key!r} is not in {body!r}"


@FEW
@given(routine_docs.filter(_json_safe))
def test_api_create_refuses_cleanly(body: Any) -> None:
    with device() as d:
        before = d.file_bytes()
        response = d.client.post("/api/routines", json=body)
        check_api_refusal(response, body, before, d)
        if response.status_code == 201:
            assert d.file_bytes() != before, "the byte comparison sees a real change"
            created = response.get_json()
            assert d.client.get(f"/api/routines/{created['id']}").status_code == 200


@FEW
# CR and LF end a header line on the wire: a client cannot put them inside a value.
@given(
    routine_docs.filter(_json_safe),
    st.one_of(
        st.none(),
        st.just('"1"'),
        st.text(st.characters(blacklist_characters="\r\n\x00"), max_size=5),
    ),
)
def test_api_edit_refuses_cleanly(body: Any, if_match: str | None) -> None:
    with device() as d:
        before = d.file_bytes()
        headers = {} if if_match is None else {"If-Match": if_match}
        response = d.client.put("/api/routines/lower-back", json=body, headers=headers)
        check_api_refusal(response, body, before, d)


settings_bodies = st.one_of(
    st.dictionaries(
        st.one_of(near_miss_keys((*SETTING_NAMES, "pin")), st.just("gesture_actions")),
        json_values,
        max_size=5,
    ),
    st.fixed_dictionaries(
        {
            "gesture_actions": st.dictionaries(
                st.sampled_from(["press", "double", "hold", "long_hold", "tap"]),
                st.sampled_from(["next", "skip", "repeat", "pause", "end", "jump"]) | scalars,
                max_size=4,
            )
        },
        optional={"hold_ms": st.integers(0, 12000), "long_hold_ms": st.integers(0, 12000)},
    ),
).filter(_json_safe)


@FEW
@given(settings_bodies)
def test_api_settings_refuses_cleanly(body: dict[str, Any]) -> None:
    with device() as d:
        before = d.file_bytes()
        response = d.client.put("/api/settings", json=body)
        check_api_refusal(response, body, before, d)
        if response.status_code == 422:
            # Each problem is filed under a key the client sent.
            for key in response.get_json()["fields"]:
                assert any(key == sent or key.startswith(sent + ".") for sent in body), key


raw_bodies = st.one_of(
    st.binary(max_size=64),
    plain_json_values.map(lambda v: json.dumps(v).encode()),
    st.sampled_from(
        [
            b"{",
            b"[]",
            b"null",
            b'{"gesture": "press"',
            b"\xff\xfe{}",
            b"1" * 5000,
            b"[" * 5000 + b"]" * 5000,
            b'{"a": NaN}',
        ]
    ),
)


@FEW
@given(
    st.sampled_from(
        [
            ("POST", "/api/routines"),
            ("PUT", "/api/routines/lower-back"),
            ("PUT", "/api/settings"),
            ("POST", "/api/button"),
            ("POST", "/api/routines/lower-back/activate"),
            ("POST", "/api/routines/no-such-routine/activate"),
            ("DELETE", "/api/routines/no-such-routine"),
        ]
    ),
    raw_bodies,
    st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded"]),
)
def test_api_never_fails_on_raw_bodies(route: tuple[str, str], body: bytes, kind: str) -> None:
    method, url = route
    with device() as d:
        before = d.file_bytes()
        response = d.client.open(url, method=method, data=body, content_type=kind)
        assert response.status_code != 500
        if response.status_code >= 400:
            assert d.file_bytes() == before
            assert response.get_json().get("error")


def test_api_refuses_a_body_over_the_limit_with_a_json_error() -> None:
    with device() as d:
        before = d.file_bytes()
        big = {"name": "x", "description": "y" * (MAX_BODY_BYTES + 1), "exercises": []}
        response = d.client.post("/api/routines", json=big)
        assert response.status_code == 413
        assert response.get_json()["error"]
        assert d.file_bytes() == before


# -- forms ------------------------------------------------------------------------------------

form_text = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["", "3", "0", "-1", "+5", "²", "10.0", "999999999999", "hold", "both"]),
)
exercise_field_names = [f"ex-{i}-{name}" for i in range(3) for name in ExerciseDraft.__slots__]
routine_forms = st.dictionaries(
    st.sampled_from(
        [
            "name",
            "id",
            "description",
            "sessions_per_week",
            "version",
            "exercise_count",
            "op",
            *exercise_field_names,
        ]
    ),
    form_text,
    max_size=14,
).map(lambda form: {"exercise_count": "1", "ex-0-name": "Bridge", **form})
op_values = st.one_of(
    st.just("save"),
    st.sampled_from(["add", "remove-0", "up-1", "down-0", "up-", "down-99"]),
    st.text(max_size=8),
)


@FEW
@given(routine_forms, op_values, st.sampled_from(["/routines/new", "/routines/lower-back/edit"]))
def test_routine_editor_form_never_fails(form: dict[str, str], op: str, url: str) -> None:
    with device() as d:
        before = d.file_bytes()
        response = d.client.post(url, data={**form, "op": op, "csrf_token": d.csrf()})
        check_refusal(response, before, d)
        if response.status_code == 200:
            assert d.file_bytes() == before, "rearranging the editor saves nothing"


@pytest.mark.parametrize(
    ("field", "value"), [("op", "remove-²"), ("version", "²")], ids=["op", "version"]
)
def test_non_ascii_digits_in_the_editor_are_refused_not_a_crash(field: str, value: str) -> None:
    with device() as d:
        before = d.file_bytes()
        form = {
            "name": "Mine",
            "exercise_count": "1",
            "ex-0-name": "Bridge",
            "ex-0-sets": "2",
            "ex-0-reps": "5",
            "op": "save",
            field: value,
            "csrf_token": d.csrf(),
        }
        response = d.client.post("/routines/lower-back/edit", data=form)
        check_refusal(response, before, d)


settings_forms = st.dictionaries(
    st.sampled_from(
        [
            *NUMBER_FIELDS,
            "voice_volume",
            "voice_id",
            "weekly_goal",
            *(f"gesture-{g}" for g in GESTURES),
        ]
    ),
    st.one_of(form_text, st.sampled_from(["next", "skip", "repeat", "pause", "end", "en-gb"])),
    max_size=10,
)


@FEW
@given(settings_forms)
def test_settings_form_never_fails(form: dict[str, str]) -> None:
    with device() as d:
        before = d.file_bytes()
        response = d.client.post("/settings/", data={**form, "csrf_token": d.csrf()})
        check_refusal(response, before, d)


@FEW
@given(
    st.one_of(
        routine_docs.map(lambda doc: yaml.safe_dump(doc, allow_unicode=True).encode()),
        st.binary(max_size=300),
        st.text(max_size=300).map(str.encode),
    )
)
def test_uploaded_routine_files_never_fail(content: bytes) -> None:
    with device() as d:
        before = d.file_bytes()
        response = d.client.post(
            "/routines/import",
            data={"csrf_token": d.csrf(), "file": (io.BytesIO(content), "mine.yaml")},
            content_type="multipart/form-data",
        )
        check_refusal(response, before, d)


# -- config files -----------------------------------------------------------------------------

toml_scalars = st.one_of(
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.sampled_from([0, 17, 27, 28, 8080, 65535, 65536, -1]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["auto", "lgpio", "debug", "0.0.0.0", "::1", "null", "/var/lib/x", "rel/dir"]),
)
toml_values = st.one_of(toml_scalars, st.lists(toml_scalars, max_size=3))
table_keys = st.one_of(
    st.sampled_from(sorted({key.split(".", 1)[1] for key in SCHEMA if "." in key})),
    st.text(max_size=8),
)
config_docs = st.dictionaries(
    st.one_of(st.sampled_from(TOP_LEVEL), st.text(max_size=8)),
    st.one_of(toml_values, st.dictionaries(table_keys, toml_values, max_size=4)),
    max_size=6,
)


def toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key)


def toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value != value:
            return "nan"
        if value in (float("inf"), float("-inf")):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    assert isinstance(value, list)
    return "[" + ", ".join(toml_value(v) for v in value) + "]"


def to_toml(doc: dict[str, Any]) -> str:
    """A TOML file for ``doc`` (plain keys first, then one table per mapping)."""
    lines = [f"{toml_key(k)} = {toml_value(v)}" for k, v in doc.items() if not isinstance(v, dict)]
    for name, table in doc.items():
        if isinstance(table, dict):
            lines.append(f"[{toml_key(name)}]")
            lines += [f"{toml_key(k)} = {toml_value(v)}" for k, v in table.items()]
    return "\n".join(lines) + "\n"


def config_key_is_real(doc: Mapping[str, Any], key: str) -> bool:
    if key == "file" or key in doc:
        return True
    table, _, name = key.partition(".")
    return isinstance(doc.get(table), dict) and name in doc[table]


@SOME
@given(st.one_of(config_docs.map(to_toml), st.text(max_size=120)))
def test_config_files_are_accepted_or_each_bad_key_named(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "spotter.toml"
        path.write_text(text, encoding="utf-8")
        problems = check_config_file(path)
        try:
            load_config(path, {}, {})
        except ConfigError as err:
            assert err.source == str(path)
            assert problems, "load_config refused what check_config_file passed"
            try:
                doc = tomllib.loads(text)
            except tomllib.TOMLDecodeError:
                assert list(err.errors) == ["file"]
                return
            for key in err.errors:
                assert config_key_is_real(doc, key), f"{key!r} is not in {doc!r}"
        else:
            assert problems == []
        if not any(len(key.splitlines()) > 1 for key in _keys(text)):
            # (keys holding line breaks: see the test below)
            assert all(line.startswith(f"{path}: ") for line in problems)


def _keys(text: str) -> list[str]:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return []
    return [*doc, *(k for v in doc.values() if isinstance(v, dict) for k in v)]


def test_config_check_gives_one_line_per_problem_whatever_the_key(tmp_path: Path) -> None:
    path = tmp_path / "spotter.toml"
    path.write_text('"odd\u0085key" = 1\n', encoding="utf-8")
    problems = check_config_file(path)
    assert len(problems) == 1 and problems[0].startswith(f"{path}: ")


@FEW
@given(
    st.dictionaries(
        st.one_of(
            st.sampled_from(sorted(env_name(k) for k in SCHEMA)), st.just("SPOTTER_WEB_PROT")
        ),
        st.one_of(
            st.text(max_size=10), st.sampled_from(["1", "off", "none", "70000", "17", "::1"])
        ),
        max_size=5,
    )
)
def test_environment_values_are_accepted_or_each_bad_one_named(env: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "spotter.toml"
        path.write_text("", encoding="utf-8")
        try:
            load_config(path, env, {})
        except ConfigError as err:
            assert err.source == "environment"
            assert err.errors and set(err.errors) <= set(env)
