"""The Keras side: the real layers (the only place that imports TensorFlow) and the engine
process that runs them beside the window."""
