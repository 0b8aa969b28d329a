"""ConvScope's engine: the Conv2D arithmetic, image loading and the Keras layer.

Pure Python, NumPy, Pillow and Keras; never Qt. ``engine.keras_conv`` is the only module that
imports TensorFlow, so everything else here loads instantly.
"""
