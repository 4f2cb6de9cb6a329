"""The ports the tests' servers take: a block per worker, none handed out twice, none in use."""

from __future__ import annotations

import socket

import pytest

from tests.ports import MAX_WORKERS, _PortPicker, worker_index, worker_ports


def test_each_worker_has_a_block_of_its_own_below_the_outgoing_range():
    blocks = [set(worker_ports(i)) for i in range(MAX_WORKERS)]
    assert all(a.isdisjoint(b) for n, a in enumerate(blocks) for b in blocks[n + 1 :])
    assert max(worker_ports(MAX_WORKERS - 1)) < 32768


def test_workers_are_told_apart_by_their_name(monkeypatch):
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    assert worker_index() == 0
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw3")
    assert worker_index() == 4


def test_a_port_is_never_handed_out_twice_nor_one_in_use():
    picker = _PortPicker(worker_ports(MAX_WORKERS - 1)[:6])
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", picker.ports[picker.offset]))
        taken.listen()
        busy = taken.getsockname()[1]
        given = [picker.next() for _ in range(5)]
        with pytest.raises(RuntimeError, match="no free loopback port"):
            picker.next()  # the block's sixth port is the busy one
    assert busy not in given
    assert len(set(given)) == 5
