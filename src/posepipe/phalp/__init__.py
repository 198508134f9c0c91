"""PHALP (4D-Humans' tracker) results: a safe loader and the conversion to `posepipe.poses/1`.

Torch-free: import-phalp, the API and the worker read PHALP files without the GPU stack.
"""
