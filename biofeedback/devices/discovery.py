"""Find connected pelvic sensors by USB identity (``serial.tools.list_ports``).

The reference sensor talks UART through an isolator to a USB-UART bridge (FT231X, CP2102N or
CH340; ``docs/hardware.md`` §3). Those bridges carry generic vendor/product IDs shared by many
unrelated gadgets, so a bridge only counts as *the sensor* when its product or manufacturer
string names it (programmed into the bridge's EEPROM at assembly: FT_PROG for the FT231X,
Simplicity Studio for the CP2102N; see ``docs/sensor-link.md``). Unmarked bridges (a CH340 has
no string EEPROM) are returned only on request, as candidates the user must confirm.
:data:`SENSOR_USB_IDS` is reserved for a future native-USB build (not implemented). Pseudo-
terminals (the emulator) are never listed by the OS: type their path instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from serial.tools import list_ports

#: (vendor id, product id) of a native USB CDC build of the sensor (reserved; not implemented).
SENSOR_USB_IDS: frozenset[tuple[int, int]] = frozenset({
    (0x0483, 0x5740),  # STMicroelectronics virtual COM port (STM32F405 USB FS device)
})
#: USB-UART bridges of the reference link; a sensor only together with a product marker.
BRIDGE_USB_IDS: frozenset[tuple[int, int]] = frozenset({
    (0x0403, 0x6015),  # FTDI FT231X
    (0x10C4, 0xEA60),  # Silicon Labs CP2102N
    (0x1A86, 0x7523),  # WCH CH340
})
PRODUCT_MARKERS = ("bfsensor", "pelvic", "biofeedback")


@dataclass(frozen=True)
class SensorPort:
    """A port that looks like our sensor; ``device`` is what to pass to ``serial:PORT``."""

    device: str
    description: str
    serial_number: str
    vid: int
    pid: int
    via_bridge: bool
    confirmed: bool = True  # False: an unmarked bridge that may or may not be the sensor

    def __str__(self) -> str:
        sn = f", serial {self.serial_number}" if self.serial_number else ""
        return f"{self.device} ({self.description}{sn})"


def _marked(port: object) -> bool:
    text = " ".join(str(getattr(port, a, "") or "") for a in ("product", "manufacturer",
                                                               "description", "interface"))
    return any(m in text.lower() for m in PRODUCT_MARKERS)


def match_port(port: object, include_unmarked: bool = False) -> SensorPort | None:
    """The sensor on ``port`` (a ``ListPortInfo``), or None when it is something else."""
    vid, pid = getattr(port, "vid", None), getattr(port, "pid", None)
    if vid is None or pid is None:
        return None
    own = (vid, pid) in SENSOR_USB_IDS
    is_bridge = (vid, pid) in BRIDGE_USB_IDS
    marked = is_bridge and _marked(port)
    if not (own or marked or (is_bridge and include_unmarked)):
        return None
    return SensorPort(
        device=str(port.device),  # type: ignore[attr-defined]
        description=str(getattr(port, "description", "") or getattr(port, "product", "") or ""),
        serial_number=str(getattr(port, "serial_number", "") or ""),
        vid=int(vid), pid=int(pid), via_bridge=not own, confirmed=own or marked,
    )


def find_sensors(include_unmarked: bool = False) -> list[SensorPort]:
    """Connected sensors (confirmed first, then by device path: stable across calls).

    ``include_unmarked`` adds USB-UART bridges without the sensor's product string, for a
    port chooser to offer; ``auto`` never opens one of those by itself.
    """
    found = [m for p in list_ports.comports()
             if (m := match_port(p, include_unmarked)) is not None]
    return sorted(found, key=lambda s: (not s.confirmed, s.via_bridge, s.device))
