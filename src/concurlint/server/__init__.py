"""The language server: ``concurlint server`` (needs the ``server`` extra: pygls)."""
