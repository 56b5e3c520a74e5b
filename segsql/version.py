"""The one version of segsql: the installed package's metadata (pyproject.toml)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

__all__ = ["__version__"]

try:
    __version__ = version("segsql")
except PackageNotFoundError:  # a source tree on sys.path, never installed
    __version__ = "0+unknown"
