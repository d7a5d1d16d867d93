"""Audit entries and kiosk alarm details in the reader's language and the compound's time.

Both are stored as codes and machine text: an audit action (``print_passes``), a target
(``holder 12``), a detail dict; an alarm's detail as the kiosk wrote it, in English with UTC
times ("quarantine until 2026-12-15T06:06:00+00:00"). On a page they become words: known
codes through the catalogue, times local to the minute. A kiosk's free-form technical detail
("SensorFault: MLX90614 ...") is shown on the English pages only; on the others the alarm's
reason, already in words, says it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from server.web.i18n import catalogue
from server.web.timefmt import local

Translate = Callable[..., str]
ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?")
QUARANTINE = re.compile(rf"quarantine until ({ISO_TIME.pattern})")


def _known(prefix: str, code: str, t: Translate) -> str:
    return t(prefix + code) if prefix + code in catalogue() else code


def local_times(text: str, zone: str | None) -> str:
    """Every ISO time in ``text`` as the compound's local time, to the minute."""
    return ISO_TIME.sub(lambda m: _local(m.group(0), zone), text)


def _local(iso: str, zone: str | None) -> str:
    try:
        return local(datetime.fromisoformat(iso.replace("Z", "+00:00")), zone)
    except ValueError:
        return iso


def alarm_detail(detail: str, lang: str, zone: str | None, t: Translate) -> str:
    """What a person reads of a kiosk's alarm detail ("" when the reason says it all)."""
    found = QUARANTINE.search(detail)
    if found:
        return t("colour_form.until", until=_local(found.group(1), zone))
    return local_times(detail, zone) if lang == "en" else ""


def audit_action(action: str, t: Translate) -> str:
    return _known("audit.do.", action, t)


def audit_target(target: str, t: Translate) -> str:
    """``holder 12`` as ``住户 12``; a target that is not "<kind> <id>" stays as it is."""
    kind, space, rest = target.partition(" ")
    return f"{_known('audit.what.', kind, t)} {rest}" if space else target


def audit_detail(detail: dict[str, Any], zone: str | None, t: Translate) -> str:
    """``{"cards": 2, "reason": "搬走"}`` as ``卡数：2；原因：搬走`` (no JSON, no escapes)."""
    return "；".join(
        f"{_known('audit.key.', key, t)}：{_value(value, zone)}" for key, value in detail.items()
    )


def _value(value: Any, zone: str | None) -> str:
    if isinstance(value, list | tuple):
        return "、".join(_value(v, zone) for v in value) or "—"
    if isinstance(value, dict):
        return "，".join(f"{k} {_value(v, zone)}" for k, v in value.items())
    return local_times(str(value), zone)
