"""bench.office's hostile-file figures: what refusing a bad spreadsheet costs a running office.

For each of a 1,000,000-row sheet, a zip bomb (1 GB inflated) and one 500 MB shared string,
a clerk uploads it to the import page of a live server (in this process) while another client
keeps asking for the log-in page. Printed: the time until the refusal arrives (<= 2 s), the
growth of this process's peak RSS while it is refused (<= 200 MB) and the p99 of the log-in
page during the refusals (<= 200 ms): the page must not wait for the file.
"""

from __future__ import annotations

import re
import statistics
import threading
import time
from collections.abc import Callable
from pathlib import Path

import requests

from bench import hostile_xlsx
from server import importer

TARGETS = {"refuse": 2.0, "rss_mib": 200.0, "login_p99": 200.0}
FILES: dict[str, Callable[[], bytes]] = {
    "1,000,000-row": lambda: hostile_xlsx.many_rows(1_000_000),
    "zip-bomb": lambda: hostile_xlsx.zip_bomb(1000),
    "huge-string": lambda: hostile_xlsx.huge_string(500),
}


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Sampler(threading.Thread):
    """The highest RSS seen while running, sampled every few milliseconds."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.start_rss = self.peak = rss_mib()
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.005):
            self.peak = max(self.peak, rss_mib())


class LoginLoop(threading.Thread):
    """A person opening the log-in page again and again; records each round trip in ms."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.times: list[float] = []
        self.done = threading.Event()
        self.measuring = threading.Event()  # set while a file is being refused

    def run(self) -> None:
        http = requests.Session()
        while not self.done.is_set():
            started = time.perf_counter()
            http.get(self.url, timeout=120).raise_for_status()
            if self.measuring.is_set():
                self.times.append((time.perf_counter() - started) * 1000)


def refuse(http: requests.Session, url: str, name: str, data: bytes) -> float:
    """Upload ``data`` to the import page; the seconds until the refusal arrived."""
    token = re.search(r'name="csrf" value="([^"]+)"', http.get(url, timeout=30).text)
    assert token, "the import page has no form"
    started = time.perf_counter()
    reply = http.post(
        url,
        data={"csrf": token.group(1)},
        files={"file": (f"{name}.xlsx", data, importer.XLSX_TYPE)},
        timeout=300,
    )
    took = time.perf_counter() - started
    if reply.status_code != 400:
        raise AssertionError(f"{name}: answered {reply.status_code}, not a refusal")
    return took


def hostile_figures(server_url: str, http: requests.Session, compound: str) -> None:
    """Print the three figures for each hostile file against the server at ``server_url``."""
    from bench.office import percentile, verdict  # bench.office imports this module

    url = f"{server_url}/office/c/{compound}/import"
    login = LoginLoop(f"{server_url}/office/login")
    login.start()
    try:
        for name, make in FILES.items():
            data = make()
            sampler = Sampler()
            sampler.start()
            login.measuring.set()
            took = refuse(http, url, name, data)
            login.measuring.clear()
            sampler.done.set()
            sampler.join()
            growth = max(0.0, sampler.peak - sampler.start_rss)
            print(
                f"refusing a {name} .xlsx ({len(data) // 1024} KB): {took:.2f} s, "
                f"{verdict(took, TARGETS['refuse'])}; peak RSS +{growth:.0f} MB, "
                f"{verdict(growth, TARGETS['rss_mib'])}"
            )
    finally:
        login.done.set()
        login.join()
    times = login.times or [0.0]
    p99 = percentile(times, 0.99)
    print(
        f"log-in page while the files were refused: p50 {statistics.median(times):.1f} ms, "
        f"p99 {p99:.1f} ms over {len(times)} requests; {verdict(p99, TARGETS['login_p99'])}"
    )
