"""Convolution arithmetic with the real numbers: output sizes, the padding split, the
rows no window reads, and which input pixels make one output pixel."""
