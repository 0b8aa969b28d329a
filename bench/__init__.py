"""ConvScope's benchmark (``make bench``): how live the window is at any image size."""
