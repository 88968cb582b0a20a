"""The gevent entry module: patches, then imports the modules whose greenlets sleep."""

from typing import TYPE_CHECKING

from gevent import monkey

import jobs.early

monkey.patch_all()

import jobs.greenlets  # noqa: E402
import jobs.shared  # noqa: E402
import jobs.tool  # noqa: E402

if TYPE_CHECKING:
    import jobs.typed


def later():
    import jobs.deferred

    jobs.deferred.run()


jobs.early.run()
jobs.greenlets.run()
