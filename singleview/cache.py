"""Django's Redis cache, keeping its redis-py clients.

Django's `RedisCacheClient.get_client` makes a new `redis.Redis` around the connection pool for
every cache operation; the pool (and its connections) is kept, but making the client was about a
quarter of the time a signed-in request spent reading its session. redis-py's clients are safe
to share between threads, so this keeps one per pool.
"""

from __future__ import annotations

from typing import Any

from django.core.cache.backends import redis


class RedisCacheClient(redis.RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}  # by id() of the pool, which Django keeps

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        # Django's own choice of server and pool (a private method django-stubs leave out).
        django: Any = self
        pool = django._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = django._client(connection_pool=pool)
        return client


class RedisCache(redis.RedisCache):
    """`django.core.cache.backends.redis.RedisCache` with the client above."""

    def __init__(self, server: Any, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient
