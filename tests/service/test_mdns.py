"""Spotter's names: the Avahi service file and the .local name."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from device.service.mdns import device_name, local_name, service_file


def parsed(text: str) -> ET.Element:
    # The DOCTYPE names Avahi's DTD; the parser needs no network to read past it.
    return ET.fromstring(text.encode())


def test_the_default_name_follows_the_host_name():
    root = parsed(service_file(None, 8080))
    name = root.find("name")
    assert name is not None
    assert name.text == "Spotter (%h)"
    assert name.get("replace-wildcards") == "yes"
    assert root.findtext("service/type") == "_http._tcp"
    assert root.findtext("service/port") == "8080"


@pytest.mark.parametrize("name", ["Corner 2 <squat rack>", "Tom & Jerry's gym", 'say "hi"'])
def test_a_configured_name_is_kept_exactly(name):
    root = parsed(service_file(name, 80))
    element = root.find("name")
    assert element is not None
    assert element.text == name
    assert element.get("replace-wildcards") is None
    assert root.findtext("service/port") == "80"


def test_local_names():
    assert local_name("spotter-corner-2") == "spotter-corner-2.local"
    assert local_name("corner-2.gym.example") == "corner-2.local"
    assert local_name("localhost") is None
    assert local_name("") is None
    assert device_name(None, "corner-2") == "Spotter (corner-2)"
    assert device_name("Rack 3", "corner-2") == "Rack 3"
