from .storage import save as store

__all__ = ["store"]
