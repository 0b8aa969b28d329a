"""How every headless command ends: exit 0, or exit 1 with one ``error: ...`` line on stderr,
never a traceback, whatever went wrong (bad input, no TensorFlow, no memory, a bug)."""

from __future__ import annotations

import sys
from collections.abc import Callable


def run_reporting(work: Callable[[], object], expected: tuple[type[BaseException], ...]) -> int:
    """Run ``work``; the exit status. ``expected`` are the errors whose message is already
    worded for the user."""
    try:
        work()
    except expected as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except ImportError as exc:  # TensorFlow or Keras missing or broken
        print(f"error: the Keras engine is unavailable ({exc}); install it with "
              f"'pip install tensorflow-cpu' (macOS: 'pip install tensorflow').", file=sys.stderr)
        return 1
    except MemoryError:
        print("error: not enough memory for this image and these settings: close other "
              "programs, or use a smaller image.", file=sys.stderr)
        return 1
    except Exception as exc:  # the promise is one line, never a traceback
        print(f"error: unexpected failure: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0
