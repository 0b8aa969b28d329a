"""ConvScope's Qt front end. Importing it never imports TensorFlow: the engine worker does,
in the background, once the window is up. Nor Qt: ``gui.MainWindow`` is imported on first
use, so that a machine without Qt's system libraries gets a message, not a traceback."""

__all__ = ["MainWindow"]


def __getattr__(name: str):
    if name == "MainWindow":
        from gui.main_window import MainWindow

        return MainWindow
    raise AttributeError(f"module 'gui' has no attribute {name!r}")
