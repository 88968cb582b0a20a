"""Records that callers queue and a flusher thread, started by another module, sends; this
module imports no thread API itself."""

pending = []
errors = []


def add(record):
    pending.append(record)


def send(batch):
    return len(batch)


def flush():
    global pending, errors
    batch = pending
    pending = []  # expect: CCL101
    failed = errors
    errors = []  # nothing else changes `errors` in place: only this thread touches it
    return send(batch) + len(failed)
