"""ConvScope: start the window, or run the headless ``convolve`` or ``learn`` command.

    python main.py [IMAGE]
    python main.py convolve IMAGE [--kernel K] [--strides SH SW] [--padding valid|same] ...
    python main.py learn IMAGE --target-kernel K [--steps N] [--optimizer adam|sgd] ...
    python main.py --self-test
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "convolve":
        from engine.commands.convolve import main as convolve_main

        return convolve_main(argv[1:])
    if argv and argv[0] == "learn":
        from engine.commands.learn import main as learn_main

        return learn_main(argv[1:])
    if argv and argv[0] == "--self-test":
        from gui.selftest_window import main as self_test_main

        return self_test_main()
    if not {"-h", "--help"} & set(argv):
        from engine.backend.launch import start_early

        start_early()  # TensorFlow starts loading in the engine process while the window builds
    from gui.app import run_app

    return run_app(argv)


if __name__ == "__main__":
    import multiprocessing

    # The engine runs in a spawned process; a frozen (PyInstaller) app must let the child
    # run the engine instead of starting another window.
    multiprocessing.freeze_support()
    sys.exit(main())
