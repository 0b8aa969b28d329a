"""ConvScope's Qt front end. Importing it never imports TensorFlow: the engine worker does,
in the background, once the window is up."""

from gui.main_window import MainWindow

__all__ = ["MainWindow"]
