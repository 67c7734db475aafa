"""The Redis cache backend keeps one client per connection pool (xinshimin/core/cache.py), against the
Redis of this machine (skipped where none answers on 127.0.0.1:6379)."""

from __future__ import annotations

import socket
import threading
import uuid

import pytest

from xinshimin.core.cache import RedisCache


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


pytestmark = pytest.mark.skipif(not _redis_up(), reason="no Redis on 127.0.0.1:6379")


def test_values_round_trip_and_the_client_is_built_once() -> None:
    cache = RedisCache("redis://127.0.0.1:6379/14", {"KEY_PREFIX": f"test-{uuid.uuid4().hex}"})
    cache.set("entry", {"holders": frozenset({1, 2})}, 30)
    assert cache.get("entry") == {"holders": frozenset({1, 2})}
    assert cache.add("entry", "other", 30) is False
    client = cache._cache.get_client()
    assert cache._cache.get_client() is client and cache._cache.get_client(write=True) is client

    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            for k in range(50):
                cache.set(f"k{n}-{k}", k, 30)
                assert cache.get(f"k{n}-{k}") == k
        except BaseException as error:  # checked below
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    cache.delete_many([f"k{n}-{k}" for n in range(8) for k in range(50)] + ["entry"])
