"""What a site may change: pins, address, timings. ``config.json`` on the board overrides.

``kiosk mcu flash`` writes ``config.json`` from the kiosk's ``[gate]`` settings, so the
address and the timings the kiosk expects are the ones the controller enforces.
"""

from micropython import const

_FILE = "config.json"


class Settings:
    """Defaults for a Raspberry Pi Pico wired as in docs/hardware.md."""

    ADDRESS = const(1)  # OSDP address on the bus, 0..126
    BAUD = const(115200)
    SERIAL = const(0)  # 0: taken from the chip's unique id
    UART_ID = const(0)
    TX_PIN = const(0)
    RX_PIN = const(1)
    DE_PIN = const(2)  # RS-485 driver enable; -1 without a transceiver
    RELAY_PIN = const(15)
    DOOR_PIN = const(10)
    EXIT_PIN = const(11)
    TAMPER_PIN = const(12)
    FIRE_PIN = const(13)
    GREEN_PIN = const(16)
    RED_PIN = const(17)
    BUZZER_PIN = const(18)
    ALARM_PIN = const(19)  # OSDP output 1: booth light or siren (through a relay); -1: none
    INSTALL_PIN = const(14)  # install jumper: held at boot with no key file, install mode
    # Inputs are pulled up; True: the input is active when its pin reads high.
    DOOR_ACTIVE_HIGH = True  # reed contact to ground opens with the door
    EXIT_ACTIVE_HIGH = False  # push button to ground
    TAMPER_ACTIVE_HIGH = True  # normally-closed tamper loop
    FIRE_ACTIVE_HIGH = True  # normally-closed contact of the fire panel
    INSTALL_ACTIVE_HIGH = False  # jumper (or a held button) to ground
    FIRE_OPENS = True  # a fire alarm holds the door unlocked
    MAX_OPEN_MS = const(10000)  # longest the relay stays energised for one command
    OFFLINE_MS = const(5000)  # no authenticated poll for this long: host lost, relay off
    EGRESS_OPEN_MS = const(5000)  # exit button while the host is lost
    HELD_OPEN_MS = const(30000)  # door open longer than this: held-open event
    DEBOUNCE_MS = const(30)
    GAP_MS = const(50)  # a frame that pauses this long is dropped
    WDT_MS = const(2000)
    MAINT_MS = const(300000)  # a maintenance boot (kiosk mcu flash) lasts at most this long
    EVENTS = const(64)  # event records kept for the host
    TRIAL_MS = const(60000)  # a new firmware must reach the host this soon or give way
    UPDATE_MAX = const(262144)  # the largest firmware bundle taken over OSDP (bytes)
    KEY_FILE = "scbk.hex"
    MAINT_FILE = "maintenance"  # present: the next boot is a maintenance boot


def load(path=_FILE):
    """The settings, with the keys of the JSON file at ``path`` (if any) applied."""
    import json

    cfg = Settings()
    try:
        with open(path) as f:
            site = json.load(f)
    except OSError:
        return cfg
    for key, value in site.items():
        if not hasattr(Settings, key):
            raise ValueError("config.json: unknown setting " + key)
        setattr(cfg, key, value)
    return cfg
