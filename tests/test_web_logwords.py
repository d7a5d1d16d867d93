"""Audit entries and kiosk alarm details as words: the reader's language, the compound's local
time, no JSON escapes; every action and detail the office audits has its words."""

from __future__ import annotations

import ast
from pathlib import Path

from server.web import i18n, logwords

ZH, EN = i18n.translator("zh-CN"), i18n.translator("en")
SHANGHAI = "Asia/Shanghai"
SERVER = Path(__file__).resolve().parents[1] / "server"


def test_a_quarantine_detail_is_words_and_local_time() -> None:
    detail = "quarantine until 2026-12-15T06:06:00+00:00"
    assert logwords.alarm_detail(detail, "zh-CN", SHANGHAI, ZH) == "隔离至 2026-12-15 14:06"
    assert logwords.alarm_detail(detail, "en", SHANGHAI, EN) == "quarantine until 2026-12-15 14:06"


def test_a_kiosks_technical_detail_shows_on_english_pages_only() -> None:
    detail = "SensorFault: MLX90614 silent since 2026-12-15T06:06:00Z"
    assert logwords.alarm_detail(detail, "zh-CN", SHANGHAI, ZH) == ""
    shown = logwords.alarm_detail(detail, "en", SHANGHAI, EN)
    assert shown == "SensorFault: MLX90614 silent since 2026-12-15 14:06"


def test_an_audit_entry_reads_as_words_without_escapes() -> None:
    detail = {"reason": "访客", "issued": ["P1", "P2"], "until": "2026-12-15T06:06:00+00:00"}
    words = logwords.audit_detail(detail, SHANGHAI, ZH)
    assert words == "原因：访客；新签发：P1、P2；截至：2026-12-15 14:06"
    assert logwords.audit_action("print_passes", ZH) == "打印通行证"
    assert logwords.audit_target("holder 12", ZH) == "住户 12"
    assert logwords.audit_action("something_new", ZH) == "something_new"  # never ⟦key⟧


def audited() -> tuple[set[str], set[str]]:
    """The actions (constant ones) and detail keys of every audit() call in server/."""
    actions, keys = set(), set()
    for path in SERVER.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name = getattr(node, "func", None)
            if not isinstance(node, ast.Call) or getattr(name, "id", "") != "audit":
                continue
            for arg in node.args[2:3]:
                if isinstance(arg, ast.Constant):
                    actions.add(str(arg.value))
            keys |= {k.arg for k in node.keywords if k.arg and k.arg != "compound_id"}
    return actions | {"enable_user", "disable_user"}, keys


def test_every_audited_action_and_detail_has_words() -> None:
    words = i18n.catalogue()
    actions, keys = audited()
    assert len(actions) > 20
    assert sorted(a for a in actions if f"audit.do.{a}" not in words) == []
    assert sorted(k for k in keys if f"audit.key.{k}" not in words) == []
