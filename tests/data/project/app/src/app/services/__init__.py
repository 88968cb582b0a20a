from .storage import save as store
