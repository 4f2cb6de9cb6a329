"""Helpers for the web tests (their fixtures are in ``tests/web/conftest.py``)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from flask.testing import FlaskClient

from routines.store import HistoryEntry, Store

# A Wednesday noon, local time: the week began on Monday 3 March 2025 at midnight.
WEDNESDAY_NOON = datetime(2025, 3, 5, 12, 0).timestamp()
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf(client: FlaskClient) -> str:
    """The form token of this client's session, read from a page as a browser would."""
    page = client.get("/routines/").get_data(as_text=True)
    match = TOKEN.search(page)
    assert match, "the page carries no form token"
    return match.group(1)


def post_form(client: FlaskClient, url: str, data: dict[str, Any] | None = None, **kw: Any) -> Any:
    """Post a form the way Spotter's own page does: with this session's token."""
    return client.post(url, data={"csrf_token": csrf(client), **(data or {})}, **kw)


def contents(store: Store) -> tuple[Any, ...]:
    """Everything the store holds, for before/after comparisons."""
    active = store.active_routine()
    return (
        [(s.routine.to_dict(), s.version) for s in store.list_routines()],
        active.routine.id if active else None,
        store.settings().to_dict(),
        store.history(),
        store.load_progress(),
        store.profiles(),
        store.current_profile(),
        # Each person's doses, their changes and what is offered to them.
        [
            (
                [store.doses(p.id, r.routine.id) for r in store.list_routines()],
                store.dose_changes(p.id),
                store.dose_suggestions(p.id, answer=None),
            )
            for p in store.profiles()
        ],
    )


def add_workout(
    store: Store, finished_at: float, minutes: float, *, completed: bool = True, **more: Any
) -> HistoryEntry:
    """Record a finished lower-back workout (``more``: other HistoryEntry fields)."""
    return store.add_history(
        HistoryEntry(
            routine_id="lower-back",
            routine_name="Lower-back relief",
            started_at=finished_at - minutes * 60,
            finished_at=finished_at,
            exercises_done=4,
            sets_done=12,
            completed=completed,
            **more,
        )
    )


def simple_routine(name: str = "Quick test", **extra: Any) -> dict[str, Any]:
    """A small valid routine document."""
    return {
        "name": name,
        "exercises": [
            {"name": "Wall sit", "sets": 2, "hold_seconds": 20},
            {"name": "Bridges", "sets": 2, "reps": 8, "count": "per_rep"},
        ],
        **extra,
    }


def weigh(client: FlaskClient, url: str) -> tuple[str, int]:
    """A page's HTML, and its weight in bytes with the stylesheet and script it loads."""
    page = client.get(url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assets = re.findall(r'(?:href|src)="(/static/[^"]+)"', html)
    assert sorted(assets) == ["/static/spotter.css", "/static/spotter.js"]
    return html, len(page.data) + sum(len(client.get(a).data) for a in assets)
