"""What the network is asked to do: the layer settings and weights, and their validation.

Plain Python and NumPy, so the window can refuse a setting before TensorFlow has loaded."""
