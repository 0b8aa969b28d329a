"""The headless commands: ``convolve`` and ``--self-test``."""
