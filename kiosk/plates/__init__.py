"""Licence plates: the mainland plate grammar, reading plates in camera frames, confirming a read.

``formats`` is pure and always importable; ``reader`` loads its OCR engine (the ``plates``
extra) on first use and checks each read against the plate colour ``colour`` measures;
``confirm`` turns per-frame reads into one plate per vehicle. ``render`` draws synthetic plates
and gate-camera scenes, ``corpus`` seeded cars arriving at the camera, for the simulator, the
tests and ``bench/plates.py``. docs/plates.md has the whole story.
"""
