"""STAND-IN, NOT MODAL: an in-memory ``modal.Dict`` for tests that cannot reach Modal's servers.

It copies the interface of ``modal.Dict`` (modal 1.6.4, ``modal/dict.py``) that our backends
use: ``get``, ``contains``, ``len``, ``put(..., skip_if_exists=)``, ``pop``, ``update``, ``keys``,
``values``, ``items`` and ``clear``, each callable directly (blocking) or through ``.aio``
(async), with values pickled on the way in and out as Modal serializes them. Every ``.aio``
call yields to the event loop first, so concurrent callers interleave between operations as
they would between network round trips. Each single operation is atomic, which is all that
Modal promises too (``put(skip_if_exists=True)`` is one server-side conditional write).
"""

from __future__ import annotations

import asyncio
import pickle
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, Generic, ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")
_MISSING = object()


class _Method(Generic[P, R]):
    def __init__(self, function: Callable[P, R]) -> None:
        self._function = function

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        return self._function(*args, **kwargs)

    async def aio(self, *args: P.args, **kwargs: P.kwargs) -> R:
        await asyncio.sleep(0)
        return self._function(*args, **kwargs)


class _Listing:
    """``keys()``/``values()``/``items()``: a snapshot, iterated sync or with ``async for``."""

    def __init__(self, function: Callable[[], list[Any]]) -> None:
        self._function = function

    def __call__(self) -> Iterator[Any]:
        return iter(self._function())

    async def aio(self) -> AsyncIterator[Any]:
        await asyncio.sleep(0)
        for item in self._function():
            yield item


class FakeModalDict:
    """STAND-IN for ``modal.Dict.from_name(name)``: one per name in a :class:`FakeModal`."""

    def __init__(self, name: str = "stand-in") -> None:
        self.name = name
        self._data: dict[Any, bytes] = {}
        self._lock = threading.Lock()
        self.calls = 0  # round trips, for tests that care how chatty a backend is
        self.get = _Method(self._get)
        self.contains = _Method(self._contains)
        self.len = _Method(self._len)
        self.put = _Method(self._put)
        self.pop = _Method(self._pop)
        self.update = _Method(self._update)
        self.clear = _Method(self._clear)
        self.keys = _Listing(lambda: [key for key, _ in self._snapshot()])
        self.values = _Listing(lambda: [value for _, value in self._snapshot()])
        self.items = _Listing(self._snapshot)

    def _count(self) -> None:
        self.calls += 1

    def _get(self, key: Any, default: Any = None) -> Any:
        with self._lock:
            self._count()
            raw = self._data.get(key)
        return default if raw is None else pickle.loads(raw)

    def _contains(self, key: Any) -> bool:
        with self._lock:
            self._count()
            return key in self._data

    def _len(self) -> int:
        with self._lock:
            self._count()
            return len(self._data)

    def _put(self, key: Any, value: Any, *, skip_if_exists: bool = False) -> bool:
        raw = pickle.dumps(value)
        with self._lock:
            self._count()
            if skip_if_exists and key in self._data:
                return False
            self._data[key] = raw
            return True

    def _pop(self, key: Any, default: Any = _MISSING) -> Any:
        with self._lock:
            self._count()
            raw = self._data.pop(key, None)
        if raw is None:
            if default is _MISSING:
                raise KeyError(f"{key} not in dict {self.name}")
            return default
        return pickle.loads(raw)

    def _update(self, other: dict[Any, Any] | None = None, /, **kwargs: Any) -> None:
        items = {**(other or {}), **kwargs}
        raw = {key: pickle.dumps(value) for key, value in items.items()}
        with self._lock:
            self._count()
            self._data.update(raw)

    def _clear(self) -> None:
        with self._lock:
            self._count()
            self._data.clear()

    def _snapshot(self) -> list[tuple[Any, Any]]:
        with self._lock:
            self._count()
            return [(key, pickle.loads(raw)) for key, raw in self._data.items()]


class FakeModal:
    """STAND-IN for a Modal workspace's named Dicts: ``dict(name)`` is ``Dict.from_name(name)``."""

    def __init__(self) -> None:
        self.dicts: dict[str, FakeModalDict] = {}

    def dict(self, name: str, **_: object) -> FakeModalDict:
        return self.dicts.setdefault(name, FakeModalDict(name))
