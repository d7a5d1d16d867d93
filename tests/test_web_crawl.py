"""No link and no button of the demo office leads nowhere: each role walks every page it can
reach from its home, follows every link and presses every button (a form sent as the page
offers it, hidden values and all); none may answer 404, 405 or 500.

Pages of the same shape (``/h/<flat>``, ``/p/<id>``) are visited twice, not all thousand.
Log-out is pressed last, so the walk keeps its session; each role walks a fresh office, as an
admin's buttons (disable a clerk) would change what the next role sees.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from server import office
from server.web import auth, demo
from server.web.auth import UserRole
from tests.webtools import World, flat, make_world

BROKEN = {404, 405, 500}
SAME_SHAPE = 2  # pages of one URL shape visited at most


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    buttons: list[tuple[str, str]] = field(default_factory=list)  # (name, value); "" unnamed


class Page(HTMLParser):
    """The links and forms of one page."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.forms: list[Form] = []
        self._form: Form | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form":
            self._form = Form(a.get("action", ""), a.get("method", "get").lower())
            self.forms.append(self._form)
        elif self._form is not None and tag in ("input", "select", "textarea") and a.get("name"):
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio") and a["name"] in self._form.fields:
                return
            if kind == "submit":
                self._form.buttons.append((a["name"], a.get("value", "")))
            elif kind != "file":
                self._form.fields[a["name"]] = a.get("value", "")
        elif self._form is not None and tag == "button" and a.get("type", "submit") == "submit":
            self._form.buttons.append((a.get("name", ""), a.get("value", "")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None


def shape(path: str) -> str:
    """A URL's shape: ids and numbers replaced, so /h/c1-1-1-101 and /h/c1-1-1-102 are one."""
    return re.sub(r"/(h|p|pass|qr|reg|v|admin/users)/[^/?]+", r"/\1/*", urlsplit(path).path)


def demo_world(folder: Path) -> World:
    world = make_world(folder)  # the test world's own users, then the demo compound beside it
    with world.office.session() as s:
        office.add_compound(s, "demo")
        demo.seed(s, "demo", world.clock())
        flat(s, "demo", "4", "1", "101")  # a new building nobody lives in yet
        auth.add_user(
            s, "gatesup", demo.PASSWORD, UserRole.SUPERVISOR, now=world.clock(), compounds=("demo",)
        )
    return world


def crawl(world: World, username: str, start: str) -> tuple[int, list[str]]:
    """Every page and button reachable from ``start`` as ``username``; what went wrong."""
    client = world.client(username)
    todo, seen, shapes = [start], set(), Counter[str]()
    forms: list[tuple[str, Form]] = []
    broken: list[str] = []
    while todo:
        url = todo.pop()
        if url in seen or shapes[shape(url)] >= SAME_SHAPE:
            continue
        seen.add(url)
        shapes[shape(url)] += 1
        answer = client.get(url)
        if answer.status_code in BROKEN:
            broken.append(f"GET {url}: {answer.status_code}")
        if answer.is_redirect:
            todo.append(urljoin(url, answer.headers["location"]))
        if "text/html" not in answer.headers.get("content-type", ""):
            continue
        found = Page()
        found.feed(answer.text)
        for href in found.links:
            target = urljoin(url, href)
            if target.startswith("/office/") and "/logout" not in target:
                todo.append(target)
        forms += [(url, form) for form in found.forms]
    pressed = 0
    for url, form in sorted(forms, key=lambda f: "/logout" in f[1].action):
        for name, value in form.buttons or [("", "")]:
            action = urljoin(url, form.action or url)
            data = {**form.fields, **({name: value} if name else {})}
            if form.method == "post":
                answer = client.post(action, data=data)
            else:
                answer = client.get(action, params=data)
            pressed += 1
            if answer.is_redirect:  # where the button leads must be there too
                answer = client.get(urljoin(action, answer.headers["location"]))
            if answer.status_code in BROKEN:
                broken.append(
                    f"{form.method.upper()} {action} {data} from {url}: {answer.status_code}"
                )
    return len(seen) + pressed, broken


@pytest.mark.parametrize(
    ("username", "start"),
    [
        ("admin", "/office/"),
        (demo.CLERK, "/office/"),
        ("gatesup", "/office/c/demo/gates"),
        ("13800138001", "/office/me"),
    ],
    ids=["admin", "clerk", "supervisor", "resident"],
)
def test_no_link_or_button_leads_nowhere(tmp_path: Path, username: str, start: str) -> None:
    world = demo_world(tmp_path / "office")
    walked, broken = crawl(world, username, start)
    assert walked > 10, f"the walk as {username} found almost nothing ({walked})"
    assert broken == [], "\n".join(broken)
