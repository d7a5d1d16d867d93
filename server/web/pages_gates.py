"""The gates page: live log, open alarms, kiosk health and charts of one compound.

Gate supervisors read it (their compound only); clerks and admins also acknowledge alarms.
The page polls ``/gates/live`` every second for events that arrived since the newest it shows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.model import RiskColour
from server import charts, gates
from server.models import Compound, EventRow, Holder, Household, Pass
from server.visitors import host_flat
from server.web import i18n, logwords
from server.web.access import CLERKS, GATE_READERS, Viewer, require, web_of
from server.web.audit import audit
from server.web.errors import PageNotFound
from server.web.render import PREFIX, language_of, mask_name, page
from server.web.timefmt import local, today

router = APIRouter()
Reader = Annotated[Viewer, Depends(require(GATE_READERS, compound_from="compound_id"))]
Clerk = Annotated[Viewer, Depends(require(CLERKS, compound_from="compound_id"))]
CHARTS = ("hourly", "fevers", "colours")


def compound_or_404(session: Session, compound_id: str) -> Compound:
    compound = session.get(Compound, compound_id)
    if compound is None:
        raise PageNotFound("err.not_found")
    return compound


@router.get("/c/{compound_id}/gates")
def gates_page(request: Request, compound_id: str, viewer: Reader) -> Response:
    web = web_of(request)
    t = i18n.translator(language_of(request))
    now = web.now()
    with web.transaction() as s:
        compound = compound_or_404(s, compound_id)
        events = gates.live_events(s, compound_id)
        after = gates.last_arrival(s, compound_id)
        rows = log_rows(s, compound, events, t)
        lang = language_of(request)
        alarms = [alarm_row(a, compound, t, lang) for a in gates.open_alarms(s, compound_id)]
        health = [health_row(h, compound, t) for h in gates.kiosk_health(s, compound_id, now)]
    return page(
        request,
        "gates.html",
        viewer,
        compound=compound,
        rows=rows,
        alarms=alarms,
        health=health,
        after=after,
        may_ack=viewer.role in CLERKS,
        charts=CHARTS,
        stamp=int(now.timestamp()) // 60,  # charts are fetched again once a minute at most
    )


@router.get("/c/{compound_id}/gates/live")
def gates_live(
    request: Request,
    compound_id: str,
    viewer: Reader,
    after: Annotated[int, Query(ge=0, le=2**62)] = 0,
) -> JSONResponse:
    """Events that arrived after row ``after``, open alarms and kiosk health, as words."""
    web = web_of(request)
    t = i18n.translator(language_of(request))
    with web.transaction() as s:
        compound = compound_or_404(s, compound_id)
        events = gates.live_events(s, compound_id, after)
        body = {
            "after": max((e.id for e in events), default=after),
            "rows": log_rows(s, compound, events, t),
            "alarms": [
                alarm_row(a, compound, t, language_of(request))
                for a in gates.open_alarms(s, compound_id)
            ],
            "health": [
                health_row(h, compound, t) for h in gates.kiosk_health(s, compound_id, web.now())
            ],
        }
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


@router.post("/c/{compound_id}/gates/alarms/{event_id}/ack")
def acknowledge_alarm(request: Request, compound_id: str, event_id: str, viewer: Clerk) -> Response:
    web = web_of(request)
    with web.transaction() as s:
        gates.acknowledge(s, compound_id, event_id, viewer.username, web.now())
        audit(s, viewer, "alarm_ack", event_id, web.now())
    return RedirectResponse(f"{PREFIX}/c/{compound_id}/gates", status_code=303)


@router.get("/c/{compound_id}/gates/charts/{name}.svg")
def chart(request: Request, compound_id: str, name: str, viewer: Reader) -> Response:
    if name not in CHARTS:
        raise PageNotFound("err.not_found")
    web = web_of(request)
    t = i18n.translator(language_of(request))
    with web.transaction() as s:
        compound = compound_or_404(s, compound_id)
        svg = _chart(s, compound, name, web.now(), t)
    headers = {"Content-Security-Policy": charts.SVG_CSP, "Cache-Control": "private, max-age=60"}
    return Response(svg, media_type="image/svg+xml", headers=headers)


def _chart(session: Session, compound: Compound, name: str, now: datetime, t: Any) -> str:
    day = today(now, compound.timezone)
    if name == "hourly":
        counts = gates.passages_per_hour(session, compound.id, day, compound.timezone)
        return charts.passages_per_hour_svg(
            counts, t("gates.chart_hourly"), t("gates.series_passages")
        )
    if name == "fevers":
        fevers = gates.fevers_per_day(session, compound.id, day, compound.timezone)
        return charts.fevers_per_day_svg(fevers, t("gates.chart_fevers"), t("gates.series_fevers"))
    colours = gates.colours_per_day(session, compound.id, day, compound.timezone)
    names = {c: t(f"colour_short.{c.value}") for c in RiskColour}
    return charts.colours_per_day_svg(colours, t("gates.chart_colours"), names)


# --- rows as words --------------------------------------------------------------------------------


def log_rows(
    session: Session, compound: Compound, events: list[EventRow], t: Any
) -> list[dict[str, str]]:
    names = _names(session, {e.pass_id for e in events if e.pass_id})
    flats = _flats(session, {e.household_id for e in events if e.household_id})
    return [
        {
            "id": str(e.id),
            "at": str(int(e.wall_time.timestamp() * 1000)),  # orders the live log, not shown
            "time": local(e.wall_time, compound.timezone, "%m-%d %H:%M:%S"),
            "kiosk": e.device_id,
            "kind": t(f"gates.kind.{e.kind}"),
            "direction": t(f"gates.dir.{e.direction}") if e.direction else "",
            "verdict": t(f"gates.verdict.{e.verdict}") if e.verdict else "",
            "verdict_code": e.verdict or "",
            "reason": t(f"gates.reason.{e.reason}"),
            "flat": flats.get(e.household_id or "", ""),
            "name": mask_name(names.get(e.pass_id or "", "")) or gates.plate_of(e),
            "temperature": "" if e.temperature_c is None else f"{e.temperature_c:.1f}",
        }
        for e in events
    ]


def alarm_row(alarm: EventRow, compound: Compound, t: Any, lang: str) -> dict[str, str]:
    """An open alarm in words; the kiosk's own detail only where it reads (logwords)."""
    detail = str(alarm.data.get("detail", "")) if isinstance(alarm.data, dict) else ""
    return {
        "event_id": alarm.event_id,
        "time": local(alarm.wall_time, compound.timezone),
        "kiosk": alarm.device_id,
        "reason": t(f"gates.reason.{alarm.reason}"),
        "detail": logwords.alarm_detail(detail, lang, compound.timezone, t),
    }


def health_row(health: gates.Health, compound: Compound, t: Any) -> dict[str, str]:
    state = "revoked" if health.revoked else "online" if health.online else "offline"
    clock = {None: "", True: t("gates.clock_ok"), False: t("gates.clock_bad")}
    return {
        "kiosk": health.device_id,
        "state": state,
        "state_words": t(f"gates.{state}"),
        "last_seen": local(health.last_seen, compound.timezone),
        "backlog": "" if health.backlog is None else str(health.backlog),
        "clock": clock[health.clock_trusted],
        "clock_ok": "" if health.clock_trusted is False else "ok",
        "version": health.version,
        "sensor": t("gates.sensor_fault") if health.sensor_fault else t("gates.sensor_ok"),
        "sensor_ok": "" if health.sensor_fault else "ok",
        "update": _update_words(health, t),
        "update_ok": "" if health.update_state in ("rolled_back", "failed") else "ok",
        "update_error": health.update_error,
        "os": os_words(health, t),
        "os_ok": "" if health.reboot_required or health.os_security else "ok",
    }


def _update_words(health: gates.Health, t: Any) -> str:
    """``试运行 1.4.0``: the updater's state, and the release it works on."""
    if not health.update_state:
        return ""
    state = t(f"gates.update.{health.update_state}")
    return f"{state} {health.update_target}".strip()


def os_words(health: gates.Health, t: Any) -> str:
    """The kiosk's system updates in words: what waits, and a reboot; empty when unreported."""
    words = []
    if health.os_updates:
        words.append(t("gates.os_pending", n=health.os_updates, security=health.os_security or 0))
    elif health.os_updates == 0:
        words.append(t("gates.os_current"))
    if health.reboot_required:
        words.append(t("gates.os_reboot"))
    return ", ".join(words)


def _names(session: Session, pass_ids: set[str]) -> dict[str, str]:
    if not pass_ids:
        return {}
    query = (
        select(Pass.pass_id, Holder.name)
        .join(Holder, Holder.id == Pass.holder_id)
        .where(Pass.pass_id.in_(sorted(pass_ids)))
    )
    return {pass_id: name for pass_id, name in session.execute(query)}


def _flats(session: Session, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    rows = session.scalars(select(Household).where(Household.id.in_(sorted(ids))))
    return {row.id: host_flat(row) for row in rows}
