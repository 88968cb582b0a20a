"""The concurrency model shared by every rule family: catalog, names, types, call graph."""
