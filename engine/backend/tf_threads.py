"""How many threads TensorFlow splits one layer call into, in an engine beside the window.

TensorFlow's default is one intra-op thread per core, and a layer call is cut into that many
equal parts. The window shares those cores: right after an edit it refreshes a dozen panels
(about 2 ms of one core), exactly while the call runs, and the part on that core finishes
late, holding up the whole call. With twice as many threads as cores the parts are smaller
and the system spreads them over whatever each core has free. Measured through the window on
2 cores, 4096x4096 at strides 1: edit -> displayed 54 -> 49 ms and 60 -> 54 ms median in two
paired runs; the call alone, with nothing beside it, took the same either way, and 512x512
edits did not change. An administrator's own TF_NUM_INTRAOP_THREADS is kept.
"""

from __future__ import annotations

import os

THREADS_PER_CORE = 2


def usable_cores() -> int:
    """The cores this process may run on (a container's or taskset's share, not the host's)."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # macOS, Windows
        return max(os.cpu_count() or 1, 1)


def share_cores_with_the_window() -> None:
    """Set TensorFlow's intra-op threads (read once, when it starts its thread pool), unless
    the environment already says."""
    os.environ.setdefault("TF_NUM_INTRAOP_THREADS", str(THREADS_PER_CORE * usable_cores()))
