"""pyproject.toml says what setuptools wants to read, so installing prints no deprecation flood."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def test_license_is_an_spdx_string_with_a_setuptools_that_reads_it():
    document = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    assert document["project"]["license"] == "Apache-2.0"  # a table is deprecated (PEP 639)
    [setuptools] = [r for r in document["build-system"]["requires"] if r.startswith("setuptools")]
    found = re.fullmatch(r"setuptools>=(\d+)(\.\d+)*", setuptools)
    assert found is not None and int(found.group(1)) >= 77, setuptools
