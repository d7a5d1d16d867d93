"""Walking the office in a browser tab: every page of a new shape reachable from a start page,
following the links of the pages before it (one /h/<flat>, one /p/<id>, not all thousand)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from tests.browser.conftest import OfficeServer

SKIPPED = re.compile(r"/logout|/lang/|\.(xlsx|csv|pdf|svg|jpg)\b")  # leaves, downloads, files


def shape(path: str) -> str:
    """A URL's shape: ids replaced, so /h/c1-1-1-101 and /h/c1-1-1-102 are one."""
    return re.sub(r"/(h|p|pass|qr|reg|v|admin/users)/[^/?]+", r"/\1/*", urlsplit(path).path)


def walk(
    page: Any,
    server: OfficeServer,
    start: str,
    inspect: Callable[[Any], list[str]],
    limit: int = 40,
) -> tuple[int, dict[str, list[str]]]:
    """Each page of a new shape reachable from ``start``: how many, and what ``inspect`` found
    wrong on each (pages with nothing wrong are left out)."""
    todo, shapes, problems = [server.at(start)], set(), {}
    while todo and len(shapes) < limit:
        url = todo.pop(0)
        if shape(url) in shapes or SKIPPED.search(url):
            continue
        shapes.add(shape(url))
        answer = page.goto(url)
        if answer is None or "text/html" not in answer.headers.get("content-type", ""):
            continue
        found = inspect(page)
        if found:
            problems[urlsplit(url).path] = found
        links = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
        todo += [link for link in links if link.startswith(server.at("/office/"))]
    return len(shapes), problems


def report(problems: dict[str, list[str]]) -> str:
    return "\n".join(f"{path}: {'; '.join(found)}" for path, found in problems.items())
