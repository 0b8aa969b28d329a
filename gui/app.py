"""Starting the application: one QApplication, one MainWindow, shown as early as possible.

The engine process is started first (main.py does it before anything imports Qt and
pyqtgraph), so that TensorFlow's import (seconds) runs on the second core while the window
builds itself.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="convscope",
                                     description="ConvScope: watch a Keras Conv2D work, live.",
                                     epilog="Also: 'convscope convolve IMAGE ...' (headless, "
                                            "see 'convolve --help') and 'convscope --self-test' "
                                            "(checks an install, no display needed).")
    parser.add_argument("image", nargs="?", help="image to open (default: the ascent sample)")
    parser.add_argument("--session", metavar="FILE",
                        help="open a saved session (.convscope): its image, layer and view")
    return parser.parse_args(argv)


def start_window(argv: list[str]):
    """The QApplication and the shown MainWindow, before the event loop runs."""
    args = parse_args(argv)
    from engine.backend.launch import start_early

    start_early()  # no-op when main.py has already started it
    from gui.system_check import qt_start_problem

    problem = qt_start_problem()
    if problem:  # e.g. "libGL.so.1 is missing: install libgl1 (Debian/Ubuntu) or ..."
        print(f"ConvScope cannot start: {problem}", file=sys.stderr)
        raise SystemExit(1)
    from PySide6.QtWidgets import QApplication

    from gui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    configure_application(app)
    window = MainWindow(args.image, session=args.session)
    window.show()
    freeze_startup_objects()
    return app, window


def freeze_startup_objects() -> None:
    """Keep what the imports and the window made (about 83,000 objects, living as long as
    the app) out of every later garbage collection: a full pass over them took 48 ms,
    whenever Python's thresholds happened to call one in the middle of an edit."""
    gc.freeze()


def run_app(argv: list[str]) -> int:
    app, _window = start_window(argv)
    code = app.exec()
    from gui.worker import stuck_workers

    if stuck_workers():  # see stuck_workers: leaving normally would abort the interpreter
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


def configure_application(app) -> None:
    """Names (they place QSettings/QStandardPaths folders) and the icon every window shows."""
    from PySide6.QtGui import QIcon

    from engine.storage.resources import icon_paths

    app.setApplicationName("ConvScope")
    app.setOrganizationName("ConvScope")
    app.setDesktopFileName("convscope")  # matches packaging/linux/convscope.desktop
    icon = QIcon()
    for path in icon_paths():
        icon.addFile(str(path))
    app.setWindowIcon(icon)
