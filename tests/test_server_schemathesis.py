"""Schemathesis against the live loopback server's OpenAPI description: no input makes a 5xx.

Runs the schemathesis CLI (its pytest plugin does not load under this pytest) with a valid
kiosk credential, so generated requests reach the body checks behind authentication, in both
modes: requests that follow the schema and requests that break it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.pg import loopback

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


@pytest.mark.slow
@pytest.mark.skipif(not SCHEMATHESIS.exists(), reason="schemathesis is not installed (dev extra)")
def test_no_generated_request_makes_the_server_fail(tmp_path: Path):
    world = loopback(f"sqlite:///{tmp_path / 'office.db'}", max_batch=50)
    token = world.office.enroll_kiosk("k1", "c1")
    try:
        run = subprocess.run(
            [
                str(SCHEMATHESIS),
                "run",
                f"{world.url}/openapi.json",
                "--checks",
                "not_a_server_error",
                "--header",
                f"Authorization: Bearer {token}",
                "--max-examples",
                "30",
                "--generation-deterministic",
                "--workers",
                "1",
                "--mode",
                "all",
            ],
            capture_output=True,
            text=True,
            timeout=240,
            cwd=tmp_path,
        )
        assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
        assert " passed" in run.stdout and "failed" not in run.stdout.lower()
        assert requests.get(f"{world.url}/api/v1/time", timeout=10).status_code == 200
    finally:
        world.server.stop()
