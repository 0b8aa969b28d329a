"""What the app says about the layer: the guided lesson and the Keras script that reproduces
the output."""
