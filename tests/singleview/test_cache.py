"""The production cache: Django's Redis cache, keeping one redis-py client per server."""

from __future__ import annotations

import os
import uuid

import pytest

from singleview.cache import RedisCache

pytestmark = pytest.mark.redis


@pytest.fixture
def cache() -> RedisCache:
    return RedisCache(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"), {})


def test_values_round_trip_through_redis(cache: RedisCache) -> None:
    key = f"test-cache-{uuid.uuid4().hex}"
    cache.set(key, {"signed_in": True}, timeout=30)
    assert cache.get(key) == {"signed_in": True}
    cache.delete(key)
    assert cache.get(key) is None


def test_every_operation_shares_one_client(cache: RedisCache) -> None:
    first = cache._cache.get_client(write=True)
    assert cache._cache.get_client() is first
    assert cache._cache.get_client(write=True) is first
