"""A second entry point, without the patch."""

import jobs.shared

jobs.shared.run()
