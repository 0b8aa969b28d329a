"""Learning a kernel: the training settings, the target the layer learns, how close it got, and
the gradient of one weight worked out with numbers. Plain Python and NumPy; the Keras side is
engine/backend/keras_training.py."""
