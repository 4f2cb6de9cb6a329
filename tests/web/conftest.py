"""Fixtures for the web tests: a real store on disk, a recording control, a fake clock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from device.service.pin_throttle import PinThrottle
from device.testing import FakeClock
from routines.store import Store
from tests.dummy_control import DummyControl
from tests.web_support import WEDNESDAY_NOON
from web_config import create_app


@pytest.fixture
def web_clock() -> FakeClock:
    return FakeClock(start=WEDNESDAY_NOON)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "data")
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def control(store: Store) -> DummyControl:
    return DummyControl(store=store)


@pytest.fixture
def app(store: Store, control: DummyControl, web_clock: FakeClock) -> Flask:
    return create_app(
        {"TESTING": True, "CLOCK": web_clock},
        store=store,
        control=control,
        pins=PinThrottle(web_clock),
    )


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
