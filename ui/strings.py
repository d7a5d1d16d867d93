"""Every word the screens show, per language: the kiosk sends codes, this table has the words.

``zh-CN`` is the default language; ``en`` is the other. A test checks that every ``Reason`` and
every ``Stage`` has words in both, and that both tables have the same keys.

Chinese words a resident reads carry break marks: "请出示|通行证" may wrap only at the "|" (or
after punctuation), never inside a word; the "|" becomes ``ui.linebreak.MARK`` when the tables
are loaded and is never drawn (``ui.linebreak``).
"""

from __future__ import annotations

from typing import NamedTuple

from kiosk.model import Reason
from kiosk.view import Aim, Alarm, AlarmCode, Prompt, Stage, alarm_code
from ui.linebreak import MARK

LANGUAGES = ("zh-CN", "en")
DEFAULT_LANGUAGE = "zh-CN"


class Words(NamedTuple):
    """A headline and a plain-words hint under it (the hint may be empty)."""

    title: str
    hint: str = ""


R = Reason
# Written for a resident at the gate, not for an engineer: the title says what happened in
# everyday words, the hint says what to do now and whom to ask.
REASONS: dict[str, dict[Reason, Words]] = {
    "zh-CN": {
        R.OK: Words("请通行"),
        R.UNKNOWN_FORMAT: Words("这不是|小区|通行证", "请打开|社区|通行证|二维码|再扫"),
        R.BAD_ENCODING: Words("二维码|没有|读清楚", "请把|手机|拿稳，再扫|一次"),
        R.BAD_COSE: Words("通行证|无法|识别", "请找|门口|保安|帮忙"),
        R.BAD_HEADER: Words("通行证|格式|不对", "请找|门口|保安|帮忙"),
        R.UNKNOWN_CRITICAL: Words("本机|读不了|这种|新通行证", "请找|门口|保安|帮忙"),
        R.BAD_CLAIMS: Words("通行证|信息|不全", "请到|社区|居委会|重新|办理"),
        R.UNKNOWN_KEY: Words("不是|本社区|发的|通行证", "请找|门口|保安|帮忙"),
        R.KEY_NOT_VALID: Words("通行证|需要|换新", "请到|社区|居委会|换新|通行证"),
        R.BAD_SIGNATURE: Words("通行证|无法|核实", "请找|门口|保安|帮忙"),
        R.EXPIRED: Words("通行证|已过期", "请到|社区|居委会|续办"),
        R.NOT_YET_VALID: Words("通行证|还没|生效", "请到|生效|时间后|再来"),
        R.REVOKED: Words("通行证|已停用", "请找|门口|保安|或|社区|居委会"),
        R.WRONG_COMPOUND: Words("不是|本小区的|通行证", "请找|门口|保安|登记"),
        R.QUARANTINE: Words("您家|正在|居家|隔离", "请回家；买菜|看病|请打|社区|电话"),
        R.MONITORED: Words("您家|在|健康|观察期", "请|每天|向社区|报告|体温"),
        R.EMPTY_FLAT: Words("这套房|登记为|空房", "请找|门口|保安|核实"),
        R.ANTI_PASSBACK: Words("上次|进出|没有|扫码", "每次|进出|都要|扫码，请找|保安|登记"),
        R.VISITOR_LIMIT: Words("访客|通行|次数|已用完", "请让|您拜访的|住户|重新|申请"),
        R.CURFEW: Words("现在|不能|通行", "请在|开放|时间|再来，急事|找保安"),
        R.EXIT_QUOTA: Words("今天|您家|外出|次数|已用完", "请|明天|再出门，急事|找保安"),
        R.HCERT_REQUIRED: Words("还需要|健康|证明", "请再|出示|健康|证明|二维码"),
        R.FEVER: Words("体温|偏高", "请在|旁边|休息|几分钟|再测，保安|会帮您"),
        R.REMEASURE: Words("请站好|不动，再测|一次", "第一次|测的|体温|偏高"),
        R.NO_FOREHEAD: Words("没有|测到|体温", "请再|出示|一次|通行证|重测，或|找保安"),
        R.SENSOR_FAULT: Words("测温器|出故障了", "请找|保安|人工|测温"),
        R.LOG_FAULT: Words("设备|出故障了", "门|不会|打开，请找|保安"),
        R.CLOCK_UNTRUSTED: Words("设备|时间|不准", "请找|保安"),
        R.GUARD_OVERRIDE: Words("保安|已开门", "请通行"),
        R.DOOR_HELD_OPEN: Words("门|没有|关好", "请|随手|关门"),
        R.DOOR_FORCED_OPEN: Words("门被|强行|打开", "保安|正在|赶来"),
        R.OFFLINE_BACKLOG: Words("暂时|连不上|社区|办公室", "可以|照常|通行，保安|会处理"),
        R.OFFICE_REFUSED: Words("社区|办公室|不收|本机|记录", "可以|照常|通行，保安|会处理"),
        R.OFFICE_DATA: Words("社区|办公室的|更新|有问题", "可以|照常|通行，保安|会处理"),
        R.OFFICE_DATA_INCOMPLETE: Words("请找|保安", "本机|还没|收到|社区|数据，保安|会帮您"),
        R.VISITOR_REGISTERED: Words("访客|已登记", "请通行"),
        R.EXIT_BUTTON: Words("出门|按钮|开的门", "请通行"),
        R.OPENING_UNUSED: Words("门|开过，无人|通过", "这次|不算|进出，可以|再扫码"),
        R.VEHICLE_UNKNOWN: Words("车辆|未登记", "请|停车，保安|会来|登记"),
        R.VEHICLE_RISK_AREA: Words("车辆|到过|中高|风险|地区", "请|停车，等待|保安|查验"),
        R.VEHICLE_WINDOW: Words("不在|登记的|通行|时间内", "请|联系|邀请您的|住户|或|物业"),
        R.VEHICLE_TAILGATING: Words("一次|抬杆|只过|一辆车", "保安|正在|赶来"),
        R.VEHICLE_REGISTERED: Words("车辆|已登记", "请通行"),
        R.VEHICLE_LOOKALIKE: Words("车牌|与另一|登记|车辆|相似", "请|停车，等待|保安|查验"),
    },
    "en": {
        R.OK: Words("Please go through"),
        R.UNKNOWN_FORMAT: Words("This is not a community pass", "Scan the community pass"),
        R.BAD_ENCODING: Words("The code could not be read", "Hold your phone still, scan again"),
        R.BAD_COSE: Words("This pass cannot be checked", "Please ask the guard at the gate"),
        R.BAD_HEADER: Words("This pass is not made correctly", "Please ask the guard at the gate"),
        R.UNKNOWN_CRITICAL: Words("Pass too new for this kiosk", "Please ask the guard"),
        R.BAD_CLAIMS: Words("This pass is missing details", "Get a new pass at the office"),
        R.UNKNOWN_KEY: Words("Not a pass of this community", "Please ask the guard at the gate"),
        R.KEY_NOT_VALID: Words("This pass must be replaced", "Get a new pass at the office"),
        R.BAD_SIGNATURE: Words(
            "This pass could not be verified", "Please ask the guard at the gate"
        ),
        R.EXPIRED: Words("Your pass has expired", "Renew it at the community office"),
        R.NOT_YET_VALID: Words("Your pass is not valid yet", "Come back when it starts"),
        R.REVOKED: Words("This pass has been cancelled", "See the guard or the office"),
        R.WRONG_COMPOUND: Words("A pass of another community", "Please register with the guard"),
        R.QUARANTINE: Words("Household in quarantine", "Stay home; call the office"),
        R.MONITORED: Words("Your household is under watch", "Report your temperature daily"),
        R.EMPTY_FLAT: Words("This flat is listed as empty", "Please let the guard check it"),
        R.ANTI_PASSBACK: Words(
            "Your last pass was not scanned", "Always scan; the guard will help"
        ),
        R.VISITOR_LIMIT: Words("This visitor pass is used up", "Ask your host to apply again"),
        R.CURFEW: Words("The gate is closed at this hour", "Come back later; emergency: guard"),
        R.EXIT_QUOTA: Words("No more outings today", "None left today; emergency: guard"),
        R.HCERT_REQUIRED: Words("Health certificate needed", "Please also show your certificate"),
        R.FEVER: Words("High temperature", "Rest a while, then measure again"),
        R.REMEASURE: Words("Hold still, once more", "The first reading was high"),
        R.NO_FOREHEAD: Words("No temperature taken", "Scan again or see the guard"),
        R.SENSOR_FAULT: Words("Thermometer not working", "A guard will measure you"),
        R.LOG_FAULT: Words("The kiosk has a fault", "Gate stays shut; see the guard"),
        R.CLOCK_UNTRUSTED: Words("The kiosk clock is not set", "Please see the guard"),
        R.GUARD_OVERRIDE: Words("Opened by the guard", "Please go through"),
        R.DOOR_HELD_OPEN: Words("The door is left open", "Please close the door behind you"),
        R.DOOR_FORCED_OPEN: Words("The door was forced open", "The guard has been called"),
        R.OFFLINE_BACKLOG: Words(
            "No connection to the office", "You may pass; the guard will see to it"
        ),
        R.OFFICE_REFUSED: Words(
            "The office refuses our records", "You may pass; the guard will see to it"
        ),
        R.OFFICE_DATA: Words("Office updates failed", "You may pass; the guard will see to it"),
        R.OFFICE_DATA_INCOMPLETE: Words("Please see the guard", "Office data still loading"),
        R.VISITOR_REGISTERED: Words("Visitor registered", "Please go through"),
        R.EXIT_BUTTON: Words("Opened by the exit button", "Please go through"),
        R.OPENING_UNUSED: Words("Opened, nobody went through", "Not counted: you may scan again"),
        R.VEHICLE_UNKNOWN: Words("Vehicle not registered", "Please stop: the guard will come"),
        R.VEHICLE_RISK_AREA: Words("Reported in a risk area", "Please stop for the guard"),
        R.VEHICLE_WINDOW: Words("Outside the registered time", "Ask your host or the office"),
        R.VEHICLE_TAILGATING: Words("One vehicle per opening", "The guard has been called"),
        R.VEHICLE_REGISTERED: Words("Vehicle registered", "Please drive through"),
        R.VEHICLE_LOOKALIKE: Words("Plate like another car's", "Please stop for the guard"),
    },
}

# How a stage reads when its reason adds nothing (the idle prompt, "reading", ...).
STAGES: dict[str, dict[Stage, Words]] = {
    "zh-CN": {
        Stage.IDLE: Words("请出示|通行证", "把|二维码|对准|摄像头"),
        Stage.READING: Words("正在|读取…", "请|拿稳|别动"),
        Stage.MEASURING: Words("请测量|体温", "请把|额头|靠近|测温器"),
        Stage.REMEASURE: Words("请站好|不动，再测|一次", "第一次|测的|体温|偏高"),
        Stage.OPEN: Words("请通行"),
        Stage.DENIED: Words("不能|通行"),
        Stage.GUARD: Words("请找|保安", "设备|无法|判断，保安|会来|帮您"),
        Stage.COOLDOWN: Words("请稍等", "门|关好后|就为您|开门"),
    },
    "en": {
        Stage.IDLE: Words("Show your pass", "Hold the code to the camera"),
        Stage.READING: Words("Reading…", "Hold still"),
        Stage.MEASURING: Words("Fever check", "Forehead close to the sensor"),
        Stage.REMEASURE: Words("Hold still, once more", "The first reading was high"),
        Stage.OPEN: Words("Go through"),
        Stage.DENIED: Words("No entry"),
        Stage.GUARD: Words("See the guard", "The kiosk cannot decide; the guard will help"),
        Stage.COOLDOWN: Words("Please wait", "Opens once the door is shut"),
    },
}

# Asked instead of a stage's usual words (``KioskView.prompt``); {n}: the seconds left.
PROMPTS: dict[str, dict[Prompt, Words]] = {
    "zh-CN": {
        Prompt.SEE_GUARD: Words("此|通行证|不能用，请到|保安亭 →", "保安|会帮您；放下|手机|即可"),
        Prompt.RETRY: Words("没有|测到|体温", "请放下|手机，再|出示|一次|重新|测温"),
        Prompt.GUARD_BOOTH: Words("请到|保安亭 →", "设备|无法|判断，保安|会帮您"),
        Prompt.LOWER_PASS: Words("已读过，请放下|手机"),
        Prompt.CLOSER: Words("请靠近 · 3–5 cm", "额头|对准|测温器，还有 {n} 秒"),
    },
    "en": {
        Prompt.SEE_GUARD: Words("Go to the guard booth →", "This pass cannot be used here"),
        Prompt.RETRY: Words("No temperature taken", "Lower your phone, then show it again"),
        Prompt.GUARD_BOOTH: Words("Go to the guard booth →", "The guard will help you"),
        Prompt.LOWER_PASS: Words("Scanned", "Please lower your phone"),
        Prompt.CLOSER: Words("Closer · 3–5 cm", "Forehead to the sensor: {n} s left"),
    },
}

# Under a green "please go through" while the relay holds the gate open; {n}: seconds left.
OPEN_FOR = {"zh-CN": "门|还开 {n} 秒", "en": "The gate stays open {n} s"}

# What the viewfinder says when it sees a code it cannot read yet.
AIMS: dict[str, dict[Aim, str]] = {
    "zh-CN": {Aim.HOLD_STILL: "请|拿稳|别动", Aim.CLOSER: "请|拿近|一点"},
    "en": {Aim.HOLD_STILL: "Hold still", Aim.CLOSER: "Bring it closer"},
}

# Alarms whose headline differs from the refusal words a resident sees.
ALARMS: dict[str, dict[Reason, str]] = {
    "zh-CN": {
        R.FEVER: "发热人员",
        R.REVOKED: "出示已停用通行证",
        R.QUARANTINE: "隔离住户想要外出",
        R.EMPTY_FLAT: "空房通行证被使用",
        R.SENSOR_FAULT: "测温器故障",
        R.LOG_FAULT: "事件记录无法写入",
        R.CLOCK_UNTRUSTED: "设备时钟不可信",
        R.OFFLINE_BACKLOG: "离线且有待上传记录",
        R.OFFICE_REFUSED: "社区办公室拒收记录",
        R.OFFICE_DATA: "社区办公室的更新有问题",
        R.OFFICE_DATA_INCOMPLETE: "社区数据还没下载完",
        R.DOOR_HELD_OPEN: "门长时间未关",
        R.DOOR_FORCED_OPEN: "门被强行打开",
        R.ANTI_PASSBACK: "进出记录不连续",
        R.CURFEW: "非开放时段通行",
        R.EXIT_QUOTA: "超出家庭外出次数",
        R.VISITOR_LIMIT: "访客次数已用完",
        R.HCERT_REQUIRED: "缺少健康证明",
    },
    "en": {
        R.FEVER: "Fever detected",
        R.REVOKED: "Cancelled pass shown",
        R.QUARANTINE: "Quarantine exit attempt",
        R.EMPTY_FLAT: "Empty-flat pass used",
        R.SENSOR_FAULT: "Thermometer fault",
        R.LOG_FAULT: "Event log cannot be written",
        R.CLOCK_UNTRUSTED: "Untrusted clock",
        R.OFFLINE_BACKLOG: "Offline with a backlog",
        R.OFFICE_REFUSED: "Office refuses the records",
        R.OFFICE_DATA: "Office updates not usable",
        R.OFFICE_DATA_INCOMPLETE: "Office data not loaded yet",
        R.DOOR_HELD_OPEN: "Door held open",
        R.DOOR_FORCED_OPEN: "Door forced open",
        R.ANTI_PASSBACK: "Passage not scanned",
        R.CURFEW: "Passage in closed hours",
        R.EXIT_QUOTA: "Household exit quota used",
        R.VISITOR_LIMIT: "Visitor pass used up",
        R.HCERT_REQUIRED: "No health certificate",
    },
}

A = AlarmCode
# An alarm's detail line for the guard: what happened and what to do. The kiosk logs the code
# and one value; ``{value}`` is that value, ``{person}`` the masked holder and flat, ``{place}``
# the gate. A template uses only the fields its code always has.
ALARM_DETAILS: dict[str, dict[AlarmCode, str]] = {
    "zh-CN": {
        A.DOOR_FORCED: "没有刷通行证门就开了，请去门口查看",
        A.DOOR_HELD: "门已开着 {value} 秒，请去关门",
        A.FEVER: "体温 {value} °C，请带到一旁复测",
        A.THERMOMETER_FAULT: "测温器读数不可信，请用手持体温计",
        A.CAMERA_FAULT: "摄像头没有画面，请人工查验通行证",
        A.LOG_UNWRITABLE: "记录写不进存储卡，门不会自动打开",
        A.LOG_FULL: "存储卡满了，扫码不开门，出门按钮照常开门；请联系维护",
        A.LOG_READ_ONLY: "存储卡只能读不能写，扫码不开门，出门按钮照常开门；请联系维护",
        A.LOG_UNREADABLE: "通行记录读不出来，扫码不开门，请人工查验并联系维护",
        A.LOG_MOVED_ASIDE: "通行记录文件损坏，已另存并新建记录；请联系维护",
        A.LOG_REPLACED: "通行记录文件被删除或替换，已尽量另存；请联系维护",
        A.LOG_ROW_SET_ASIDE: "第 {value} 条记录读不出来，已另存，其余记录照常上传；请联系维护",
        A.OFFICE_DATA_FAULT: "社区数据（停用名单、住户颜色）读不出来，扫码不开门，请人工查验",
        A.OFFICE_DATA_RESET: "社区数据文件损坏，已另存，下载完之前扫码不开门；请联系维护",
        A.OFFICE_DATA_INCOMPLETE: "社区数据还没下载完（停用名单未知），请人工查验",
        A.CLOCK_UNTRUSTED: "设备时间未校准，请联系社区维护",
        A.BACKLOG: "{value} 条记录等待上传，请检查网络",
        A.OFFICE_REFUSED: "社区办公室拒收本机记录：{value}。记录都留在本机，请打电话告诉社区办公室",
        A.OFFICE_DATA: "办公室更新第 {value} 条出错，部分没收到，请告诉社区办公室",
        A.QUARANTINE: "隔离住户想出门，请劝回并报告社区",
        A.EMPTY_FLAT: "登记为空房的通行证，请核实身份",
        A.REVOKED: "已停用的通行证，请核实身份",
        A.CURFEW: "非开放时段，请问明情况",
        A.EXIT_QUOTA: "今天外出次数已用完，请问明情况",
        A.VISITOR_LIMIT: "访客次数已用完，请联系被访住户",
        A.ANTI_PASSBACK: "上次进出没有扫码，请问明情况",
        A.HCERT_REQUIRED: "没有出示健康证明，请查验",
        A.EXIT_BUTTON: "有人按出门按钮离开，本小区出门要扫码",
        A.CHECK_PERSON: "请核实此人后再放行",
        A.TAILGATING: "一次抬杆过了两辆车，请查看后一辆",
        A.CHECK_VEHICLE: "请查验车辆 {value}",
    },
    "en": {
        A.DOOR_FORCED: "Opened without a pass: go and look",
        A.DOOR_HELD: "Open for {value} s: please close it",
        A.FEVER: "{value} °C: measure again aside",
        A.THERMOMETER_FAULT: "Readings unreliable: use a hand thermometer",
        A.CAMERA_FAULT: "No camera picture: check passes by hand",
        A.LOG_UNWRITABLE: "Storage refuses events: the gate stays shut",
        A.LOG_FULL: "Storage full: only the exit button opens. Call maintenance",
        A.LOG_READ_ONLY: "Storage read-only: only the exit button opens. Call maintenance",
        A.LOG_UNREADABLE: "Event log unreadable: check passes by hand. Call maintenance",
        A.LOG_MOVED_ASIDE: "Event log damaged: kept aside, new log started. Call maintenance",
        A.LOG_REPLACED: "Event log file deleted or replaced: call maintenance",
        A.LOG_ROW_SET_ASIDE: "Record {value} unreadable: set aside, others upload. "
        "Call maintenance",
        A.OFFICE_DATA_FAULT: "Office data unreadable: check passes by hand",
        A.OFFICE_DATA_RESET: "Office data damaged: check passes by hand until reloaded",
        A.OFFICE_DATA_INCOMPLETE: "Office data not downloaded yet: check passes by hand",
        A.CLOCK_UNTRUSTED: "Clock not set: call maintenance",
        A.BACKLOG: "{value} events wait for upload: check the network",
        A.OFFICE_REFUSED: "The office refuses this kiosk's records: {value}. "
        "They stay on the kiosk. Call the office.",
        A.OFFICE_DATA: "Office update {value} failed, some are missing: call the office",
        A.QUARANTINE: "Quarantined resident leaving: send home, tell the office",
        A.EMPTY_FLAT: "Pass of an empty flat: check who it is",
        A.REVOKED: "Cancelled pass: check who it is",
        A.CURFEW: "Outside opening hours: ask why",
        A.EXIT_QUOTA: "Outings used up today: ask why",
        A.VISITOR_LIMIT: "Visits used up: call the host family",
        A.ANTI_PASSBACK: "Last passage not scanned: ask why",
        A.HCERT_REQUIRED: "No health certificate: check it",
        A.EXIT_BUTTON: "Someone left by the exit button: exits must be scanned",
        A.CHECK_PERSON: "Check this person before letting them through",
        A.TAILGATING: "Two vehicles on one opening: check the second",
        A.CHECK_VEHICLE: "Check vehicle {value}",
    },
}
# The car gate's idle screen: what a driver arriving reads instead of "show your pass".
DRIVER_IDLE = {
    "zh-CN": Words("请在|杆前|停车", "自动|识别|车牌"),
    "en": Words("Stop at the barrier", "Your plate is read"),
}
# Added to an alarm the event log did not take.
# At the car gate the "door" is the vehicle loop behind the barrier (kiosk/vehicles/barrier.py):
# held means a vehicle stands on it (or the loop is faulty), and while it does no plate is read.
LOOP_ALARMS: dict[str, dict[Reason, str]] = {
    "zh-CN": {R.DOOR_HELD_OPEN: "杆后线圈一直有车", R.DOOR_FORCED_OPEN: "没放行，杆后却有车"},
    "en": {
        R.DOOR_HELD_OPEN: "Vehicle loop kept occupied",
        R.DOOR_FORCED_OPEN: "Vehicle past a closed barrier",
    },
}
LOOP_DETAILS: dict[str, dict[AlarmCode, str]] = {
    "zh-CN": {
        A.DOOR_HELD: "杆后线圈上有车已 {value} 秒（或线圈故障），这期间不识别车牌，请去查看",
        A.DOOR_FORCED: "没有抬杆，线圈上却来了车，请去杆旁查看",
    },
    "en": {
        A.DOOR_HELD: "Loop occupied {value} s (or faulty), no plate read: go and look",
        A.DOOR_FORCED: "A vehicle on the loop with the barrier down: go and look",
    },
}

NOT_LOGGED = {"zh-CN": "（未记入日志）", "en": " (not logged)"}

# Preset reasons a guard picks from (the code is logged; the words are shown).
OPEN_REASONS = ("forgot_pass", "medical", "emergency", "delivery", "maintenance", "scanner_fault")
VISIT_REASONS = ("family", "delivery", "maintenance", "medical")

UI: dict[str, dict[str, str]] = {
    "zh-CN": {
        "guard": "保安",
        "guard_hold": "保安 · 长按",
        "guard_holding": "再按 {n} 秒",
        "pin_title": "请输入保安密码",
        "pin_wrong": "密码错误",
        "pin_locked": "尝试|次数|过多，请 {n} 秒后|再试",
        "default_pin": "仍在用|出厂|密码 1234，请|尽快|更换",
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
        "register_car": "登记 {plate}",
        "no_car_to_register": "闸前没有待登记的车",
        "registered": "访客已登记",
        "language": "语言",
        "direction": "方向",
        "dir_in": "进",
        "dir_out": "出",
        "online": "已联网",
        "link_unknown": "联网未知",
        "offline": "未联网",
        "unsynced": "待上传 {n} 条",
        "clock_bad": "时钟未校准",
        "fever_mark": "偏高",
        "guard_notified": "已通知|保安",
        "alarm_touch": "保安点此处理",
        "at_gate": "门口",
        "flat": "房号",
        "gate_open": "闸门已解锁",
        "door_open": "门开着",
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
        "colour_red": "红·居家隔离",
        "colour_orange": "橙·居家隔离",
        "colour_yellow": "黄·健康观察",
        "colour_green": "绿·空房",
        "colour_white": "白·正常",
        "visitor_of": "{flat} 的访客",
        "visitor_card": "访客 · {flat} 的访客",
        "other_language": "English",
    },
    "en": {
        "guard": "Guard",
        "guard_hold": "Guard · hold",
        "guard_holding": "{n} s more",
        "pin_title": "Enter the guard PIN",
        "pin_wrong": "Wrong PIN",
        "pin_locked": "Too many tries: try again in {n} s",
        "default_pin": "Factory PIN 1234 in use: change it",
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
        "register_car": "Register {plate}",
        "no_car_to_register": "No car to register",
        "registered": "Visitor registered",
        "language": "Language",
        "direction": "Direction",
        "dir_in": "In",
        "dir_out": "Out",
        "online": "Online",
        "link_unknown": "Online?",
        "offline": "Offline",
        "unsynced": "{n} to upload",
        "clock_bad": "Clock unset",
        "fever_mark": "High",
        "guard_notified": "Guard notified",
        "alarm_touch": "Guard: touch here",
        "at_gate": "At the gate",
        "flat": "Flat",
        "gate_open": "Gate unlocked",
        "door_open": "Door ajar",
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
        "colour_red": "Red: quarantine",
        "colour_orange": "Orange: quarantine",
        "colour_yellow": "Yellow: watch",
        "colour_green": "Green: empty flat",
        "colour_white": "White: normal",
        "visitor_of": "visitor of {flat}",
        "visitor_card": "Visitor · to {flat}",
        "other_language": "中文",
    },
}


def check_language(language: str) -> str:
    """Return ``language`` if the screens speak it, else raise ValueError naming the choices."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown UI language {language!r}; use one of {', '.join(LANGUAGES)}")
    return language


def _marked(words: str) -> str:
    return words.replace("|", MARK)


REASONS["zh-CN"] = {k: Words(*map(_marked, w)) for k, w in REASONS["zh-CN"].items()}
STAGES["zh-CN"] = {k: Words(*map(_marked, w)) for k, w in STAGES["zh-CN"].items()}
AIMS["zh-CN"] = {k: _marked(w) for k, w in AIMS["zh-CN"].items()}
UI["zh-CN"] = {k: _marked(w) for k, w in UI["zh-CN"].items()}
PROMPTS["zh-CN"] = {k: Words(*map(_marked, w)) for k, w in PROMPTS["zh-CN"].items()}
OPEN_FOR["zh-CN"] = _marked(OPEN_FOR["zh-CN"])
DRIVER_IDLE["zh-CN"] = Words(*map(_marked, DRIVER_IDLE["zh-CN"]))


def text(language: str, key: str, **values: object) -> str:
    """One chrome string (button label, heading), with ``{name}`` fields filled in."""
    return UI[language][key].format(**values)


def reason_words(language: str, reason: Reason) -> Words:
    """What a reason code means, in plain words."""
    return REASONS[language][reason]


def stage_words(language: str, stage: Stage) -> Words:
    """The default prompt of a stage."""
    return STAGES[language][stage]


def prompt_words(language: str, prompt: Prompt, seconds: int | None = None) -> Words:
    """The words of ``prompt``, with the seconds left filled in."""
    words = PROMPTS[language][prompt]
    return Words(words.title, words.hint.format(n=seconds if seconds is not None else ""))


def aim_words(language: str, aim: Aim) -> str:
    """The viewfinder's hint for a code it sees but cannot read yet."""
    return AIMS[language][aim]


def alarm_title(language: str, reason: Reason, *, vehicle_lane: bool = False) -> str:
    """The guard's headline for an alarm raised for ``reason`` (at the car gate: its loop)."""
    loop = LOOP_ALARMS[language].get(reason) if vehicle_lane else None
    return loop or ALARMS[language].get(reason) or REASONS[language][reason].title


def alarm_detail(language: str, alarm: Alarm, *, vehicle_lane: bool = False) -> str:
    """The guard's detail line of ``alarm``: its code's words with value, person and place."""
    code = alarm.code or alarm_code(alarm.reason)
    who = f"{alarm.person.masked_name} {alarm.person.household_id}" if alarm.person else ""
    loop = LOOP_DETAILS[language].get(code) if vehicle_lane else None
    words = (loop or ALARM_DETAILS[language][code]).format(
        value=alarm.value, person=who, place=alarm.place
    )
    return words if alarm.logged else words + NOT_LOGGED[language]
