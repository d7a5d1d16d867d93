"""No route does blocking work on the event loop.

An ``async def`` endpoint (or a dependency of one) runs on the event loop itself: while it reads
a file or waits on the database, every other request waits too (an import preview doing so made a
login page wait 95 s). Blocking work belongs in a plain ``def`` route, which FastAPI runs on a
worker thread, or in a function an async route hands to a thread (``to_thread``/``run``).
This walks every route of the whole app and the dependencies it declares, and reads the source
of each coroutine: a call to a known blocking function outside a nested function is a failure.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.routing import Mount

from server.app import create_app
from server.local import Office

# Names whose call blocks: database work, file and upload reading, parsing, decoding, sleeping.
BLOCKING = {
    "transaction",
    "session",
    "execute",
    "scalar",
    "scalars",
    "commit",
    "flush",
    "current_viewer",
    "session_user",
    "preview",
    "read_cells",
    "read_book",
    "load_workbook",
    "prepare",
    "b64decode",
    "open",
    "read_bytes",
    "read_text",
    "sleep",
    "hash_password",
    "verify_password",
}


def called_names(function: Callable[..., Any]) -> Iterator[tuple[str, int, bool]]:
    """(name, line, awaited) of each call in the function's own body (not nested functions)."""
    source = textwrap.dedent(inspect.getsource(function))
    tree = ast.parse(source).body[0]
    assert isinstance(tree, ast.AsyncFunctionDef)
    awaited: set[int] = set()

    def walk(node: ast.AST) -> Iterator[ast.Call]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                continue  # runs elsewhere (handed to a thread), or is checked on its own
            if isinstance(child, ast.Await) and isinstance(child.value, ast.Call):
                awaited.add(id(child.value))
            if isinstance(child, ast.Call):
                yield child
            yield from walk(child)

    for call in walk(tree):
        target = call.func
        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
        yield name, call.lineno, id(call) in awaited


def coroutines(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    """The route's own function and every dependency's, where they are coroutines."""
    if dependant.call is not None and inspect.iscoroutinefunction(dependant.call):
        yield dependant.call
    for sub in dependant.dependencies:
        yield from coroutines(sub)


def blocking_calls(function: Callable[..., Any]) -> list[str]:
    where = f"{Path(inspect.getfile(function)).name}:{function.__qualname__}"
    return [
        f"{where} calls {name}() on the event loop (line {line} of the function)"
        for name, line, awaited in called_names(function)
        if name in BLOCKING and not awaited
    ]


def api_routes(routes: list[Any]) -> Iterator[APIRoute]:
    """Every route, also those of mounted apps (the office's pages under /office) and of the
    routers they include."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif isinstance(route, Mount):
            yield from api_routes(route.routes)
        elif hasattr(route, "original_router"):  # FastAPI's included router
            yield from api_routes(route.original_router.routes)


def test_no_async_route_or_dependency_does_blocking_work(tmp_path: Path) -> None:
    office = Office.open(f"sqlite:///{tmp_path / 'o.db'}")
    app = create_app(office.sessions)
    found: dict[Any, list[str]] = {}
    routes = list(api_routes(app.routes))
    assert len(routes) > 50  # the office's pages are mounted, not only the kiosk API
    for route in routes:
        for function in coroutines(route.dependant):
            found.setdefault(function, blocking_calls(function))
    problems = sorted({p for listed in found.values() for p in listed})
    assert not problems, "\n".join(problems)


def test_the_check_sees_a_blocking_call_in_an_async_route() -> None:
    """The walker itself: a preview read on the event loop is found, a thread's is not."""

    async def bad(web: Any, data: bytes) -> None:
        with web.transaction():
            pass
        web.preview(data, "h.xlsx")

    async def good(run: Any, web: Any) -> None:
        await run(lambda: web.preview(b"", "h.xlsx"))

    assert [p.split(" calls ")[1].split("(")[0] for p in blocking_calls(bad)] == [
        "transaction",
        "preview",
    ]
    assert blocking_calls(good) == []
