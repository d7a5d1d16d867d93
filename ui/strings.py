"""Every word the screens show, per language: the kiosk sends codes, this table has the words.

``zh-CN`` is the default language; ``en`` is the other. A test checks that every ``Reason`` and
every ``Stage`` has words in both, and that both tables have the same keys.
"""

from __future__ import annotations

from typing import NamedTuple

from kiosk.model import Reason
from kiosk.view import Stage

LANGUAGES = ("zh-CN", "en")
DEFAULT_LANGUAGE = "zh-CN"


class Words(NamedTuple):
    """A headline and a plain-words hint under it (the hint may be empty)."""

    title: str
    hint: str = ""


R = Reason
REASONS: dict[str, dict[Reason, Words]] = {
    "zh-CN": {
        R.OK: Words("请通行"),
        R.UNKNOWN_FORMAT: Words("无法识别此二维码", "请出示社区通行证"),
        R.BAD_ENCODING: Words("二维码已损坏", "请重新出示，或联系保安"),
        R.BAD_COSE: Words("通行证无效", "请联系保安"),
        R.BAD_CLAIMS: Words("通行证信息不完整", "请到社区办公室重新办理"),
        R.UNKNOWN_KEY: Words("签发单位未登记", "请联系保安"),
        R.KEY_NOT_VALID: Words("签发密钥已失效", "请到社区办公室更换通行证"),
        R.BAD_SIGNATURE: Words("通行证无效（签名错误）", "请联系保安"),
        R.EXPIRED: Words("通行证已过期", "请到社区办公室续办"),
        R.NOT_YET_VALID: Words("通行证尚未生效", "请在生效时间后再来"),
        R.REVOKED: Words("通行证已注销", "请联系保安"),
        R.WRONG_COMPOUND: Words("非本小区通行证", "请联系保安"),
        R.QUARANTINE: Words("住户正在居家隔离", "隔离期间请留在家中，需要帮助请联系社区"),
        R.MONITORED: Words("健康监测中", "请每天报告体温"),
        R.EMPTY_FLAT: Words("此房屋登记为空置", "请联系保安"),
        R.ANTI_PASSBACK: Words("已按此方向通行过", "请先从另一方向通行，或联系保安"),
        R.VISITOR_LIMIT: Words("访客通行次数已用完", "请联系被访住户重新申请"),
        R.CURFEW: Words("当前时段不能通行", "请在开放时间内通行"),
        R.EXIT_QUOTA: Words("今日家庭外出次数已用完", "每户每天外出次数有限，明天再来"),
        R.HCERT_REQUIRED: Words("需要健康证明", "请出示健康证明二维码"),
        R.FEVER: Words("体温偏高", "请在一旁稍候后重新测量，或联系保安"),
        R.REMEASURE: Words("请保持不动，再测一次", "第一次测量偏高"),
        R.NO_FOREHEAD: Words("未测到体温", "请靠近测温器，露出额头"),
        R.SENSOR_FAULT: Words("测温器故障", "请联系保安人工测温"),
        R.LOG_FAULT: Words("记录无法保存", "闸门保持关闭，请联系保安"),
        R.CLOCK_UNTRUSTED: Words("设备时钟未校准", "请联系保安"),
        R.GUARD_OVERRIDE: Words("保安已开门", "请通行"),
        R.DOOR_HELD_OPEN: Words("门未关好", "请随手关门"),
        R.DOOR_FORCED_OPEN: Words("门被强行打开", "已通知保安"),
        R.OFFLINE_BACKLOG: Words("网络断开，记录待上传", "请检查网络连接"),
        R.VISITOR_REGISTERED: Words("访客已登记", "请通行"),
        R.EXIT_BUTTON: Words("出门按钮开门", "请通行"),
    },
    "en": {
        R.OK: Words("Please pass"),
        R.UNKNOWN_FORMAT: Words("Code not recognised", "Please show your community pass"),
        R.BAD_ENCODING: Words("Damaged code", "Show it again, or see the guard"),
        R.BAD_COSE: Words("Invalid pass", "Please see the guard"),
        R.BAD_CLAIMS: Words(
            "Pass data incomplete", "Please get a new pass at the community office"
        ),
        R.UNKNOWN_KEY: Words("Unknown issuer", "Please see the guard"),
        R.KEY_NOT_VALID: Words(
            "Issuer key no longer valid", "Please renew your pass at the office"
        ),
        R.BAD_SIGNATURE: Words("Invalid pass (signature)", "Please see the guard"),
        R.EXPIRED: Words("Pass expired", "Please renew it at the community office"),
        R.NOT_YET_VALID: Words("Pass not valid yet", "Please come back once it is valid"),
        R.REVOKED: Words("Pass revoked", "Please see the guard"),
        R.WRONG_COMPOUND: Words("Pass for another community", "Please see the guard"),
        R.QUARANTINE: Words(
            "Household in home quarantine", "Please stay at home; call the office if you need help"
        ),
        R.MONITORED: Words("Under health monitoring", "Please report your temperature daily"),
        R.EMPTY_FLAT: Words("Flat registered as empty", "Please see the guard"),
        R.ANTI_PASSBACK: Words(
            "Already passed this way", "Use the other direction first, or see the guard"
        ),
        R.VISITOR_LIMIT: Words("Visitor pass used up", "Ask your host to apply again"),
        R.CURFEW: Words("Outside opening hours", "Please come back during opening hours"),
        R.EXIT_QUOTA: Words(
            "Household exits used up today", "Exits per household are limited; try tomorrow"
        ),
        R.HCERT_REQUIRED: Words(
            "Health certificate required", "Please show your health certificate code"
        ),
        R.FEVER: Words("Temperature high", "Please wait a moment and re-measure, or see the guard"),
        R.REMEASURE: Words("Stand still, measuring again", "The first reading was high"),
        R.NO_FOREHEAD: Words(
            "No temperature taken", "Step closer and show your forehead to the sensor"
        ),
        R.SENSOR_FAULT: Words("Thermometer fault", "Please see the guard for a manual check"),
        R.LOG_FAULT: Words("Log cannot be saved", "The gate stays shut; please see the guard"),
        R.CLOCK_UNTRUSTED: Words("Clock not verified", "Please see the guard"),
        R.GUARD_OVERRIDE: Words("Opened by the guard", "Please pass"),
        R.DOOR_HELD_OPEN: Words("Door held open", "Please close the door behind you"),
        R.DOOR_FORCED_OPEN: Words("Door forced open", "The guard has been alerted"),
        R.OFFLINE_BACKLOG: Words("Offline, events waiting to upload", "Please check the network"),
        R.VISITOR_REGISTERED: Words("Visitor registered", "Please pass"),
        R.EXIT_BUTTON: Words("Opened by the exit button", "Please pass"),
    },
}

# How a stage reads when its reason adds nothing (the idle prompt, "reading", ...).
STAGES: dict[str, dict[Stage, Words]] = {
    "zh-CN": {
        Stage.IDLE: Words("请出示通行证", "将二维码对准摄像头"),
        Stage.READING: Words("正在读取…", "请保持不动"),
        Stage.MEASURING: Words("请测量体温", "请将额头靠近测温器"),
        Stage.REMEASURE: Words("请保持不动，再测一次", "第一次测量偏高"),
        Stage.OPEN: Words("请通行"),
        Stage.DENIED: Words("禁止通行"),
        Stage.GUARD: Words("请联系保安", "设备无法判断，请保安处理"),
        Stage.COOLDOWN: Words("请稍候", "下一位马上开始"),
    },
    "en": {
        Stage.IDLE: Words("Show your pass", "Hold the QR code up to the camera"),
        Stage.READING: Words("Reading…", "Hold still"),
        Stage.MEASURING: Words(
            "Measure your temperature", "Bring your forehead close to the sensor"
        ),
        Stage.REMEASURE: Words("Stand still, measuring again", "The first reading was high"),
        Stage.OPEN: Words("Please pass"),
        Stage.DENIED: Words("Not allowed"),
        Stage.GUARD: Words("Please see the guard", "The kiosk cannot decide; the guard will help"),
        Stage.COOLDOWN: Words("Please wait", "Next person in a moment"),
    },
}

# Alarms whose headline differs from the refusal words a resident sees.
ALARMS: dict[str, dict[Reason, str]] = {
    "zh-CN": {
        R.FEVER: "发热人员",
        R.REVOKED: "出示已注销通行证",
        R.QUARANTINE: "隔离住户试图外出",
        R.EMPTY_FLAT: "空置房屋通行证被使用",
        R.SENSOR_FAULT: "测温器故障",
        R.LOG_FAULT: "事件记录无法写入",
        R.CLOCK_UNTRUSTED: "时钟不可信",
        R.OFFLINE_BACKLOG: "离线且有待上传记录",
    },
    "en": {
        R.FEVER: "Fever detected",
        R.REVOKED: "Revoked pass shown",
        R.QUARANTINE: "Quarantine exit attempt",
        R.EMPTY_FLAT: "Empty-flat pass used",
        R.SENSOR_FAULT: "Thermometer fault",
        R.LOG_FAULT: "Event log cannot be written",
        R.CLOCK_UNTRUSTED: "Untrusted clock",
        R.OFFLINE_BACKLOG: "Offline with a backlog",
    },
}

# Preset reasons a guard picks from (the code is logged; the words are shown).
OPEN_REASONS = ("forgot_pass", "medical", "emergency", "delivery", "maintenance", "scanner_fault")
VISIT_REASONS = ("family", "delivery", "maintenance", "medical")

UI: dict[str, dict[str, str]] = {
    "zh-CN": {
        "guard": "保安",
        "pin_title": "请输入保安密码",
        "pin_wrong": "密码错误",
        "ok": "确定",
        "cancel": "取消",
        "back": "返回",
        "tab_alarms": "警报",
        "tab_events": "记录",
        "tab_person": "人员",
        "tab_open": "开门",
        "tab_visitor": "访客",
        "tab_settings": "设置",
        "lock": "锁定",
        "ack": "确认",
        "acked": "已确认",
        "no_alarms": "没有警报",
        "no_events": "还没有记录",
        "no_person": "当前没有人员",
        "open_pick": "请选择开门原因",
        "open_gate": "确认开门",
        "opened": "已开门",
        "visitor_phone": "手机号",
        "visitor_household": "被访住户",
        "visitor_reason": "来访原因",
        "register": "登记",
        "registered": "访客已登记",
        "language": "语言",
        "direction": "方向",
        "dir_in": "进",
        "dir_out": "出",
        "online": "在线",
        "offline": "离线",
        "unsynced": "待上传 {n} 条",
        "clock_bad": "时钟未校准",
        "gate_open": "闸门开",
        "door_open": "门开",
        "household": "住户",
        "role": "身份",
        "colour": "风险等级",
        "expires": "有效期至",
        "pass_id": "通行证号",
        "temperature": "体温",
        "failed": "操作失败",
        "page": "{a}/{b}",
        "open_forgot_pass": "居民忘带通行证",
        "open_medical": "医护人员",
        "open_emergency": "紧急情况",
        "open_delivery": "快递外卖",
        "open_maintenance": "物业维修",
        "open_scanner_fault": "扫码故障",
        "visit_family": "探亲访友",
        "visit_delivery": "送货",
        "visit_maintenance": "维修",
        "visit_medical": "医疗",
        "role_resident": "居民",
        "role_visitor": "访客",
        "role_staff": "工作人员",
        "role_delivery": "配送",
        "visitor_of": "{flat} 的访客",
        "colour_red": "红（居家隔离）",
        "colour_orange": "橙（居家隔离）",
        "colour_yellow": "黄（健康监测）",
        "colour_green": "绿（空置房屋）",
        "colour_white": "白（正常）",
    },
    "en": {
        "guard": "Guard",
        "pin_title": "Enter the guard PIN",
        "pin_wrong": "Wrong PIN",
        "ok": "OK",
        "cancel": "Cancel",
        "back": "Back",
        "tab_alarms": "Alarms",
        "tab_events": "Events",
        "tab_person": "Person",
        "tab_open": "Open",
        "tab_visitor": "Visitor",
        "tab_settings": "Settings",
        "lock": "Lock",
        "ack": "Ack",
        "acked": "Acknowledged",
        "no_alarms": "No alarms",
        "no_events": "No events yet",
        "no_person": "Nobody at the kiosk",
        "open_pick": "Pick the reason for opening",
        "open_gate": "Open gate",
        "opened": "Gate opened",
        "visitor_phone": "Phone",
        "visitor_household": "Household",
        "visitor_reason": "Reason",
        "register": "Register",
        "registered": "Visitor registered",
        "language": "Language",
        "direction": "Direction",
        "dir_in": "In",
        "dir_out": "Out",
        "online": "Online",
        "offline": "Offline",
        "unsynced": "{n} to upload",
        "clock_bad": "Clock not verified",
        "gate_open": "Gate open",
        "door_open": "Door open",
        "household": "Household",
        "role": "Role",
        "colour": "Risk colour",
        "expires": "Valid until",
        "pass_id": "Pass no.",
        "temperature": "Temperature",
        "failed": "Not done",
        "page": "{a}/{b}",
        "open_forgot_pass": "Resident forgot pass",
        "open_medical": "Medical staff",
        "open_emergency": "Emergency",
        "open_delivery": "Delivery",
        "open_maintenance": "Maintenance",
        "open_scanner_fault": "Scanner fault",
        "visit_family": "Family visit",
        "visit_delivery": "Delivery",
        "visit_maintenance": "Maintenance",
        "visit_medical": "Medical",
        "role_resident": "Resident",
        "role_visitor": "Visitor",
        "role_staff": "Staff",
        "role_delivery": "Delivery",
        "visitor_of": "visitor of {flat}",
        "colour_red": "Red (home quarantine)",
        "colour_orange": "Orange (home quarantine)",
        "colour_yellow": "Yellow (monitored)",
        "colour_green": "Green (empty flat)",
        "colour_white": "White (normal)",
    },
}


def check_language(language: str) -> str:
    """Return ``language`` if the screens speak it, else raise ValueError naming the choices."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown UI language {language!r}; use one of {', '.join(LANGUAGES)}")
    return language


def text(language: str, key: str, **values: object) -> str:
    """One chrome string (button label, heading), with ``{name}`` fields filled in."""
    return UI[language][key].format(**values)


def reason_words(language: str, reason: Reason) -> Words:
    """What a reason code means, in plain words."""
    return REASONS[language][reason]


def stage_words(language: str, stage: Stage) -> Words:
    """The default prompt of a stage."""
    return STAGES[language][stage]


def alarm_title(language: str, reason: Reason) -> str:
    """The guard's headline for an alarm raised for ``reason``."""
    return ALARMS[language].get(reason) or REASONS[language][reason].title
