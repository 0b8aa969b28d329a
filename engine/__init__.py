"""ConvScope's engine: the Conv2D arithmetic, image loading and the Keras layer.

Pure Python, NumPy, Pillow and Keras; never Qt. ``engine.backend.keras_model`` is the only
module that imports TensorFlow, so everything else here loads instantly. The sub-packages
say where to look: ``model`` (what the layer is asked to do), ``arithmetic`` (shapes and
receptive fields), ``kernels``, ``images``, ``backend`` (Keras and its process),
``teaching`` (lesson, code), ``storage`` (files), ``commands`` (headless entry points).
"""
