"""A firmware bundle: the whole firmware's manifest and the files the board may lack.

    KCKFW1\\n
    {"version": [1, 2, 0], "files": [[name, size, sha256 hex, carried], ...]}\\n
    the bytes of every carried file, in manifest order, back to back; nothing after

The manifest names every file of the new firmware (``*.py``, no folders) with its size and
SHA-256. A carried file's bytes are in the bundle; a file not carried must be on the board
already, in the running firmware, with that same hash (a release that changes one module
sends one module). Nothing of a bundle is used before every hash has been checked.
"""

import hashlib
import json
import os

from flashfs import remove, sync

MAGIC = b"KCKFW1\n"
_CHUNK = 512
_MAX_MANIFEST = 4096
_NAME_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789_"


class BundleError(ValueError):
    """The bundle is malformed, or a file does not hash to what its manifest says."""


def read_manifest(f):
    """The manifest (version, files) at the start of the open bundle ``f``."""
    if f.read(len(MAGIC)) != MAGIC:
        raise BundleError("not a firmware bundle")
    line = f.readline(_MAX_MANIFEST)
    if not line.endswith(b"\n"):
        raise BundleError("manifest missing or too long")
    try:
        manifest = json.loads(line)
        version = tuple(manifest["version"])
        files = [(str(n), int(s), str(h), bool(c)) for n, s, h, c in manifest["files"]]
    except (ValueError, KeyError, TypeError):
        raise BundleError("manifest unreadable") from None
    if len(version) != 3 or not all(0 <= v <= 255 for v in version):
        raise BundleError("version is not three numbers 0..255")
    names = [n for n, _, _, _ in files]
    if "app.py" not in names or len(set(names)) != len(names):
        raise BundleError("manifest must name app.py and each file once")
    for name in names:
        if not _plain_name(name):
            raise BundleError("bad file name " + name)
    return version, files


def check(path, running):
    """The version in the bundle at ``path`` once every file is there with its hash: carried
    ones in the bundle, the others in the folder ``running``; BundleError otherwise."""
    with open(path, "rb") as f:
        version, files = read_manifest(f)
        for name, size, digest, carried in files:
            if carried:
                _expect(_hash(f, size), digest, name)
            else:
                _expect(_file_hash(_join(running, name), size), digest, name)
        if f.read(1):
            raise BundleError("bytes after the last file")
    return version


def install(path, running, target):
    """Write the firmware of the bundle at ``path`` into the folder ``target`` (emptied first),
    taking files not carried from ``running``; every file is read back and hashed."""
    _empty(target)
    with open(path, "rb") as f:
        _, files = read_manifest(f)
        for name, size, _, carried in files:
            if carried:
                _copy(f, size, _join(target, name))
            else:
                with open(_join(running, name), "rb") as src:
                    _copy(src, size, _join(target, name))
    sync()
    for name, size, digest, _ in files:
        _expect(_file_hash(_join(target, name), size), digest, name)


def _plain_name(name):
    stem = name[:-3]
    return name.endswith(".py") and 0 < len(stem) <= 32 and all(c in _NAME_CHARS for c in stem)


def _join(folder, name):
    return folder + "/" + name if folder else name


def _expect(found, digest, name):
    if found != digest:
        raise BundleError(name + ": SHA-256 does not match the manifest")


def _chunks(f, size):
    """The next ``size`` bytes of ``f``, a piece at a time."""
    left = size
    while left > 0:
        chunk = f.read(min(_CHUNK, left))
        if not chunk:
            raise BundleError("bundle ends early")
        left -= len(chunk)
        yield chunk


def _hash(f, size):
    h = hashlib.sha256()
    for chunk in _chunks(f, size):
        h.update(chunk)
    return h.digest().hex()


def _file_hash(path, size):
    try:
        with open(path, "rb") as f:
            found = _hash(f, size)
            if f.read(1):
                return ""  # longer than the manifest says
            return found
    except (OSError, BundleError):
        return ""  # missing or shorter: no match


def _copy(src, size, path):
    with open(path, "wb") as out:
        for chunk in _chunks(src, size):
            out.write(chunk)


def _empty(folder):
    try:
        names = os.listdir(folder)
    except OSError:
        os.mkdir(folder)
        return
    for name in names:
        remove(folder + "/" + name)
