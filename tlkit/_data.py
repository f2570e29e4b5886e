"""Where tlkit's data tables live, and the one cache over them (private).

Facts about Azure are kept as data files (``data/`` in the repository, with their sources). This
module finds that folder in every way tlkit is run:

1. ``$TLKIT_DATA_DIR`` if set (e.g. a newer snapshot of the tables);
2. the installed package data: the repository's ``data/`` folder is the package ``tlkit.data``
   (pyproject ``[tool.setuptools] package-dir``), read through :mod:`importlib.resources`, so a
   wheel works in a venv, a ``--user`` install, a ``--target`` folder or a zip;
3. the repository checkout run without installing: ``<repo>/data``.

Caching: every function that reads or derives from these tables is decorated with
:func:`data_cache`. Each call checks the data root (``$TLKIT_DATA_DIR``); when it changed, every
such cache is emptied, so pointing the variable at another copy of the tables gives that copy's
texts. :func:`reload_data` empties them explicitly (after editing files in place).

What it does not do: it reads no file itself, and never at import time (``tlkit --help`` must not
touch the data).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from tlkit.errors import DataError

__all__ = ["DATA_ENV", "DATA_PACKAGE", "check_data_root", "data_cache", "data_root", "reload_data"]

DATA_ENV = "TLKIT_DATA_DIR"
DATA_PACKAGE = "tlkit.data"

_P = ParamSpec("_P")
_R = TypeVar("_R")

_CACHES: list[Any] = []
"""The ``functools`` caches made by :func:`data_cache` (emptied together)."""
_SEEN_ROOT: list[Any] = [None]
"""The ``$TLKIT_DATA_DIR`` value the caches were filled under."""


def data_root() -> Traversable:
    """The folder holding ``support/`` and ``samples/`` (see the module docstring for the order).

    A :class:`pathlib.Path` except for a zip install (a :class:`importlib.resources.abc.Traversable`).
    """
    env = os.environ.get(DATA_ENV)
    if env:
        return Path(env)
    try:
        root = resources.files(DATA_PACKAGE)
    except ModuleNotFoundError:
        root = None
    checkout = Path(__file__).resolve().parents[1] / "data"
    for candidate in (root, checkout):
        if candidate is not None and candidate.joinpath("support").is_dir():
            return candidate
    raise DataError(
        f"tlkit's data tables were not found (neither the package {DATA_PACKAGE} nor {checkout} has "
        f"support/); reinstall tlkit, or set ${DATA_ENV} to a folder holding support/"
    )


def reload_data() -> None:
    """Empty every cache over the data tables (the next query reads the files again)."""
    for cache in _CACHES:
        cache.cache_clear()
    _SEEN_ROOT[0] = _env_root()


_ENV_KEY: Any = os.environ.encodekey(DATA_ENV)


def _env_root() -> Any:
    """``$TLKIT_DATA_DIR`` as ``os.environ`` holds it (encoded), read at the cost of a dict lookup.

    ``os.environ.get`` encodes the key on every call, which costs more than a warm cache hit; the
    mapping behind ``os.environ`` is what every ``os.environ[...]`` / ``setenv`` change updates.
    """
    data = getattr(os.environ, "_data", None)
    return data.get(_ENV_KEY) if isinstance(data, dict) else os.environ.get(DATA_ENV)


def check_data_root() -> None:
    """Empty every data cache if ``$TLKIT_DATA_DIR`` changed since they were filled."""
    if _env_root() != _SEEN_ROOT[0]:
        reload_data()


def data_cache(
    maxsize: int | None = None, *, typed: bool = False, checked: bool = True
) -> Callable[[Callable[_P, _R]], Callable[_P, _R]]:
    """``functools.lru_cache`` that is emptied when ``$TLKIT_DATA_DIR`` changes (see the module docstring).

    The wrapper keeps ``cache_clear`` and ``cache_info`` of the underlying cache. ``checked=False``
    returns the bare (C) cache, still emptied with the others: for the hot per-VM memo tables whose
    only public caller runs :func:`check_data_root` first (a Python wrapper costs more than the
    cache hit it guards).
    """

    def decorate(fn: Callable[_P, _R]) -> Callable[_P, _R]:
        cached = functools.lru_cache(maxsize=maxsize, typed=typed)(fn)
        _CACHES.append(cached)
        if not checked:
            return cached  # type: ignore[return-value]

        @functools.wraps(fn)
        def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
            if _env_root() != _SEEN_ROOT[0]:
                reload_data()
            return cached(*args, **kwargs)  # type: ignore[arg-type]

        wrapper.cache_clear = cached.cache_clear  # type: ignore[attr-defined]
        wrapper.cache_info = cached.cache_info  # type: ignore[attr-defined]
        return wrapper

    return decorate
