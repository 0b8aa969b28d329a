"""Kernels as a student handles them: presets, edits (resize, normalize, channels), text
and files."""
