"""A package that re-exports a helper of a subpackage."""

from .services import store as store_record

__all__ = ["store_record"]
