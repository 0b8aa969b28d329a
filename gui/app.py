"""Starting the application: one QApplication, one MainWindow."""

from __future__ import annotations

import argparse
import sys


def run_app(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="convscope",
                                     description="ConvScope: watch a Keras Conv2D work, live.")
    parser.add_argument("image", nargs="?", help="image to open (default: the ascent sample)")
    args = parser.parse_args(argv)

    from PySide6.QtWidgets import QApplication

    from gui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("ConvScope")
    app.setOrganizationName("ConvScope")
    window = MainWindow(args.image)
    window.show()
    return app.exec()
