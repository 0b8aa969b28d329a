"""Images in and out: loading any file Pillow reads into the layer's float32 input, and
mapping the signed output to screen colours."""
