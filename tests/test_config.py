"""Config: defaults load, user files override, and every kind of mistake gets a specific message."""

from __future__ import annotations

import dataclasses
import tomllib
from datetime import time
from pathlib import Path

import pytest

from kiosk.config import (
    DEFAULTS_FILE,
    SECTIONS,
    Config,
    Policy,
    hash_pin,
    load_config,
    with_changes,
)
from kiosk.exc import ConfigError
from kiosk.model import Direction, Mode


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "kiosk.toml"
    path.write_text(text, encoding="utf-8")
    return path


def error_for(tmp_path: Path, text: str) -> str:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert message.startswith(str(path)), message
    return message


def test_defaults_load_with_the_documented_values() -> None:
    config = load_config(None)
    assert config.device.direction is Direction.IN
    assert config.camera.decoder == "zxing"
    assert config.thermometer.address == 0x5A
    assert config.thermometer.calibration_offset_c == 0.5
    assert config.gpio.relay_pin == 17
    assert config.policy.fever_threshold_c == 37.3
    assert config.policy.quarantine is Mode.HARD
    assert config.policy.empty_flat is Mode.SOFT
    assert config.policy.curfew is Mode.OFF
    assert config.policy.curfew_start == time(22, 0)
    assert config.sync.server_url == ""
    assert config.sync.ca_file is None
    assert config.trust.files == ()
    assert config.source is None


def test_defaults_file_lists_every_schema_key_exactly() -> None:
    with DEFAULTS_FILE.open("rb") as f:
        shipped = tomllib.load(f)
    schema = {name: {f.name for f in dataclasses.fields(cls)} for name, cls in SECTIONS.items()}
    assert {name: set(table) for name, table in shipped.items()} == schema


def test_user_file_overrides_defaults_key_by_key(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[device]\nid = "gate-3"\ndirection = "out"\n[policy]\ncurfew = "hard"\n'
        '[trust]\nfiles = ["keys/office.json"]\n',
    )
    config = load_config(path)
    assert config.device.id == "gate-3"
    assert config.device.direction is Direction.OUT
    assert config.device.compound == "demo"  # untouched keys keep their defaults
    assert config.policy.curfew is Mode.HARD
    assert config.trust.files == (tmp_path / "keys/office.json",)  # relative to the file
    assert config.source == path


def test_overrides_win_over_the_file_in_both_spellings(tmp_path: Path) -> None:
    path = write(tmp_path, '[device]\nid = "gate-3"\n')
    config = load_config(path, {"device.id": "gate-4", "ui": {"language": "en"}})
    assert config.device.id == "gate-4"
    assert config.ui.language == "en"


def test_config_is_frozen() -> None:
    config = load_config(None)
    with pytest.raises(AttributeError):
        config.device.id = "x"  # type: ignore[misc]


def test_guard_pin_is_secret_and_checked_in_constant_time() -> None:
    ui = load_config(None).ui
    assert ui.guard_pin_sha256 not in repr(ui)
    assert ui.default_pin
    assert ui.pin_matches("1234")
    assert not ui.pin_matches("4321")
    changed = load_config(None, {"ui.guard_pin_sha256": hash_pin("907153")}).ui
    assert changed.pin_matches("907153") and not changed.default_pin


def test_secret_value_is_not_echoed_in_errors(tmp_path: Path) -> None:
    message = error_for(tmp_path, '[ui]\nguard_pin_sha256 = "1234"\n')
    assert "ui.guard_pin_sha256 = (secret)" in message
    assert "1234" not in message.replace(str(tmp_path), "")
    assert "sha256sum" in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[thermometer]\ncalibration_ofset_c = 0.4\n", "Did you mean 'calibration_offset_c'?"),
        (
            "[thermometre]\nsamples = 3\n",
            "[thermometre]: unknown section. Did you mean [thermometer]?",
        ),
        ('id = "gate"\n', "Did you mean to put it under [device]?"),
        ("[gpio]\nfrobnicate = 1\n", "gpio.frobnicate: unknown key. Known: backend, relay_pin"),
    ],
)
def test_unknown_names_are_refused_with_a_suggestion(
    tmp_path: Path, text: str, expected: str
) -> None:
    assert expected in error_for(tmp_path, text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '[thermometer]\nsamples = "5"\n',
            'thermometer.samples = "5": must be a whole number, not text',
        ),
        ("[thermometer]\nsamples = 5.5\n", "must be a whole number, not a number"),
        ('[ui]\nfullscreen = "yes"\n', 'ui.fullscreen = "yes": must be true or false, not text'),
        ("[device]\nid = 7\n", "device.id = 7: must be text in quotes, not a whole number"),
        ("[policy]\nfever_threshold_c = true\n", "must be a number, not true/false"),
        ('[trust]\nfiles = "a.json"\n', "must be a list like"),
        ('[device]\ndata_dir = ""\n', 'device.data_dir = "": must not be empty'),
    ],
)
def test_wrong_types_are_refused(tmp_path: Path, text: str, expected: str) -> None:
    assert expected in error_for(tmp_path, text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "[thermometer]\ncalibration_offset_c = 9.0\n",
            "thermometer.calibration_offset_c = 9.0: out of range: must be between -3 and 3 °C",
        ),
        ("[gpio]\nrelay_pin = 40\n", "gpio.relay_pin = 40: out of range: must be between 0 and 27"),
        ("[policy]\nfever_threshold_c = 42.0\n", "between 36.5 and 39 °C"),
        ("[log]\nretention_days = 0\n", "log.retention_days = 0: out of range"),
    ],
)
def test_out_of_range_values_are_refused(tmp_path: Path, text: str, expected: str) -> None:
    message = error_for(tmp_path, text)
    assert expected in message
    assert "delete the line to use the default" in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[device]\ndirection = "inn"\n', 'must be one of "in", "out". Did you mean "in"?'),
        (
            '[policy]\nquarantine = "strict"\n',
            'policy.quarantine = "strict": must be one of "hard"',
        ),
        ('[camera]\nbackend = "picamera"\n', 'Did you mean "picamera2"?'),
        ('[ui]\nlanguage = "fr"\n', 'must be one of "zh-CN", "en"'),
        ('[policy]\nexit_button = "egres"\n', 'must be one of "egress", "alarm"'),
    ],
)
def test_bad_choices_are_refused(tmp_path: Path, text: str, expected: str) -> None:
    assert expected in error_for(tmp_path, text)


@pytest.mark.parametrize("value", ["22", "24:00", "7:5", "22:00:00", "noon"])
def test_bad_time_strings_are_refused(tmp_path: Path, value: str) -> None:
    message = error_for(tmp_path, f'[policy]\ncurfew_start = "{value}"\n')
    assert f'policy.curfew_start = "{value}": must be a 24-hour time "HH:MM"' in message


def test_unknown_time_zone_is_refused(tmp_path: Path) -> None:
    message = error_for(tmp_path, '[policy]\ntimezone = "Asia/Beijing"\n')
    assert "unknown time zone 'Asia/Beijing'" in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[gpio]\nopen_s = 20.0\n", "gpio.open_s: 20.0 is longer than max_open_s (10.0)"),
        ('[ui]\nsensor_side = "up"\n', '"left", "right", "above", "below"'),
        ("[gpio]\nbuzzer_pin = 17\n", "gpio.buzzer_pin: uses the same pin (17) as relay_pin"),
        ("[thermometer]\nplausible_min_c = 44.0\n", "must be below plausible_max_c"),
        ('[policy]\ncurfew_end = "22:00"\n', "equals curfew_start"),
        ('[sync]\nserver_url = "office.local"\n', "must be empty, or a URL starting with https://"),
        ('[device]\ncompound = "a b"\n', "letters, digits"),
        ("[lane]\ncamera_fov_deg = 5\n", "5°: no plate camera sees that narrow"),
    ],
)
def test_inconsistent_values_are_refused(tmp_path: Path, text: str, expected: str) -> None:
    assert expected in error_for(tmp_path, text)


def test_a_car_gate_without_its_vehicle_loop_is_refused(tmp_path: Path) -> None:
    message = error_for(tmp_path, '[lane]\nkind = "vehicle"\n[gpio]\ndoor_contact = false\n')
    assert 'lane.kind = "vehicle" with gpio.door_contact = false' in message
    assert "set gpio.door_contact = true" in message
    # a people's gate may do without a contact
    path = tmp_path / "people.toml"
    path.write_text("[gpio]\ndoor_contact = false\n", encoding="utf-8")
    assert load_config(path).gpio.door_contact is False


def test_malformed_toml_names_the_line(tmp_path: Path) -> None:
    message = error_for(tmp_path, '[device]\nid = "gate-3"\ncompound = \n')
    assert "not valid TOML" in message and "line 3" in message


def test_file_not_in_utf8_is_a_clear_error_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from kiosk.cli import main

    path = tmp_path / "kiosk.toml"
    path.write_bytes('[device]\nid = "gate-3"  # 东门\n'.encode("gbk"))
    with pytest.raises(ConfigError, match=r"line 2: not UTF-8 text .*Save the file as UTF-8.*GBK"):
        load_config(path)
    assert main(["config", "check", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert "not UTF-8" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[device]\nid = " + "[" * 500 + "]" * 500 + "\n", "nested too deeply"),
        ("[device]\nid = " + "{a = " * 500 + "}" * 500 + "\n", "nested too deeply"),
        ("[camera]\nfps = " + "9" * 4301 + "\n", "a number is too long"),
    ],
    ids=["arrays-500-deep", "tables-500-deep", "int-4301-digits"],
)
def test_hostile_toml_is_the_config_error_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, expected: str
) -> None:
    from kiosk.cli import main

    assert expected in error_for(tmp_path, text)
    assert main(["config", "check", "--config", str(tmp_path / "kiosk.toml")]) == 2
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err


def test_a_huge_file_is_refused_before_it_is_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import kiosk.config

    path = write(tmp_path, "# padding\n" * (kiosk.config.MAX_CONFIG_BYTES // 10 + 1))
    with pytest.raises(ConfigError, match=r"larger than 1024 KiB.*--config names the right file"):
        load_config(path)
    read: list[int] = []
    monkeypatch.setattr(Path, "read_bytes", lambda self: read.append(1) or b"")
    with pytest.raises(ConfigError, match="larger than"):  # /dev/zero never ends
        load_config(Path("/dev/zero"))
    assert read == []


def test_file_with_a_utf8_byte_order_mark_loads(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_bytes('\ufeff[device]\nid = "gate-3"  # 东门\n'.encode())
    assert load_config(path).device.id == "gate-3"


def test_section_written_as_a_value_is_refused(tmp_path: Path) -> None:
    assert "must be a [device] table" in error_for(tmp_path, 'device = "gate"\n')


def test_missing_file_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"configuration file not found.*--config"):
        load_config(tmp_path / "absent.toml")


def test_bad_override_is_attributed_to_the_overrides() -> None:
    with pytest.raises(ConfigError, match=r"^overrides: policy\.curfew = \"later\""):
        load_config(None, {"policy": {"curfew": "later"}})


def test_policy_changes_are_checked_like_the_file() -> None:
    policy: Policy = load_config(None).policy
    changed = with_changes(policy, {"curfew": "soft", "curfew_start": "21:30"}, "policy")
    assert changed.curfew is Mode.SOFT and changed.curfew_start == time(21, 30)
    assert policy.curfew is Mode.OFF
    with pytest.raises(ConfigError, match="Did you mean 'curfew'"):
        with_changes(policy, {"curfw": "soft"}, "policy")
    with pytest.raises(ConfigError, match="equals curfew_start"):
        with_changes(policy, {"curfew_end": "22:00"}, "policy")


def test_config_policy_is_the_rules_policy() -> None:
    assert isinstance(load_config(None), Config)
    assert isinstance(load_config(None).policy, Policy)


# --- [thermometer] driver ----------------------------------------------------------------------
def test_thermometer_driver_defaults_to_smbus2_and_takes_adafruit(tmp_path: Path) -> None:
    assert load_config(None).thermometer.driver == "smbus2"
    path = write(tmp_path, '[thermometer]\ndriver = "adafruit"\n')
    assert load_config(path).thermometer.driver == "adafruit"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[thermometer]\ndriver = "adafruits"\n', 'Did you mean "adafruit"?'),
        ('[thermometer]\ndriver = "smbus"\n', 'Did you mean "smbus2"?'),
        ("[thermometer]\ndriver = 2\n", "must be one of"),
        ('[thermometer]\ndriverr = "adafruit"\n', "Did you mean 'driver'?"),
        (
            '[thermometer]\ndriver = "adafruit"\ni2c_bus = 3\n',
            'driver "adafruit" reads bus 1 only',
        ),
    ],
)
def test_a_wrong_thermometer_driver_is_refused_with_a_suggestion(
    tmp_path: Path, text: str, expected: str
) -> None:
    assert expected in error_for(tmp_path, text)


@pytest.mark.parametrize(
    ("driver", "back_end"),
    [("smbus2", "Mlx90614Thermometer"), ("adafruit", "AdafruitMlx90614Thermometer")],
)
def test_the_composition_root_wires_the_configured_driver(
    tmp_path: Path, driver: str, back_end: str
) -> None:
    from kiosk.app import build

    config = load_config(None, {"device.data_dir": str(tmp_path), "thermometer.driver": driver})
    with build(config, sim=True) as app:
        thermometer = app.hardware.thermometer
        assert type(thermometer).__name__ == back_end
        assert thermometer.ambient() == pytest.approx(22.0, abs=0.02)  # the emulated chip
