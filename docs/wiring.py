"""Draw docs/wiring.png, the kiosk's wiring diagram, from the default pin assignment.

    .venv/bin/python docs/wiring.py        # rewrites docs/wiring.png

The pins come from kiosk/defaults.toml, so the picture cannot drift from the configuration.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

HERE = Path(__file__).resolve().parent
DEFAULTS = HERE.parent / "kiosk" / "defaults.toml"
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
WIDTH, HEIGHT = 1260, 760
# BCM GPIO -> physical header pin of the 40-pin header.
HEADER_PIN = {2: 3, 3: 5, 17: 11, 27: 13, 22: 15, 23: 16, 24: 18, 25: 22}


def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.truetype(FONT, size)
    except OSError:
        return ImageFont.load_default()


def parts(gpio: dict[str, int]) -> list[tuple[str, str, str, tuple[int, int, int]]]:
    """(part, signal wire, other wires, colour) for each thing wired to the Pi."""
    return [
        ("MLX90614 (3.3 V, DCI/BCF)", "SDA GPIO 2 (pin 3), SCL GPIO 3 (pin 5)",
         "VIN 3.3 V (pin 1), GND (pin 9); 4.7 kΩ pull-ups on the board", (40, 120, 200)),
        ("Relay board, opto-isolated", f"IN GPIO {gpio['relay_pin']} "
         f"(pin {HEADER_PIN[gpio['relay_pin']]})", "10 kΩ pull-down on IN; VCC 5 V, GND; "
         "COM/NO to the lock", (200, 60, 60)),
        ("Buzzer (active, 3.3 V)", f"GPIO {gpio['buzzer_pin']} "
         f"(pin {HEADER_PIN[gpio['buzzer_pin']]})", "GND; >20 mA: via a transistor", (150, 90, 20)),
        ("Green LED", f"GPIO {gpio['led_green_pin']} (pin {HEADER_PIN[gpio['led_green_pin']]})",
         "330 Ω in series, cathode to GND", (30, 150, 60)),
        ("Red LED", f"GPIO {gpio['led_red_pin']} (pin {HEADER_PIN[gpio['led_red_pin']]})",
         "330 Ω in series, cathode to GND", (200, 30, 30)),
        ("Door reed switch", f"GPIO {gpio['door_pin']} (pin {HEADER_PIN[gpio['door_pin']]})",
         "other leg to GND; internal pull-up", (110, 60, 160)),
        ("Exit button (NO)", f"GPIO {gpio['exit_button_pin']} "
         f"(pin {HEADER_PIN[gpio['exit_button_pin']]})", "other leg to GND; internal pull-up",
         (60, 60, 60)),
        ("Camera Module 3", "CSI ribbon (CAM/DISP 0 on a Pi 5)", "contacts face the HDMI side "
         "on a Pi 4", (90, 90, 160)),
        ("7\" touchscreen", "DSI ribbon", "5 V + GND from the Pi header or its own supply",
         (90, 90, 160)),
    ]


def draw(gpio: dict[str, int]) -> Image.Image:
    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    d = ImageDraw.Draw(image)
    d.text((30, 20), "Checkpoint kiosk wiring (default pins, BCM numbering)", fill="black",
           font=font(28))
    d.rounded_rectangle((40, 90, 330, 690), radius=18, fill=(20, 110, 60), outline="black",
                        width=3)
    d.text((70, 110), "Raspberry Pi 4 / 5", fill="white", font=font(24))
    d.text((70, 145), "40-pin header", fill="white", font=font(18))
    rows = parts(gpio)
    y0, step = 110, 64
    for i, (name, signal, other, colour) in enumerate(rows):
        y = y0 + i * step
        d.ellipse((312, y + 14, 326, y + 28), fill=colour)
        d.line((326, y + 21, 520, y + 21), fill=colour, width=5)
        d.rectangle((520, y, 1230, y + 54), outline=colour, width=3)
        d.text((532, y + 4), f"{name}: {signal}", fill="black", font=font(19))
        d.text((532, y + 30), other, fill=(70, 70, 70), font=font(16))
    d.text((30, 710), "Fail-secure: the relay input has a pull-down (active-high board) so a "
           "released or floating line = locked. Power: 5 V 3 A (Pi 4) / 5 A (Pi 5).",
           fill="black", font=font(17))
    return image


def main() -> None:
    with DEFAULTS.open("rb") as f:
        gpio = tomllib.load(f)["gpio"]
    draw(gpio).save(HERE / "wiring.png", optimize=True)


if __name__ == "__main__":
    main()
