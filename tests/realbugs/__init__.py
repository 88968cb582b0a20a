"""Real concurrency bugs fixed in public repositories, kept as facts, and the runner that
measures how many of them concurlint finds (recall) and whether the fixed code is clean."""
