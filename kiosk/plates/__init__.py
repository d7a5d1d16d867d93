"""Licence plates: the mainland plate grammar, reading plates in camera frames, confirming a read.

``formats`` is pure and always importable; ``reader`` loads its OCR engine (the ``plates``
extra) on first use; ``render`` draws synthetic plates and gate-camera scenes for the
simulator, the tests and ``bench/plates.py``.
"""
