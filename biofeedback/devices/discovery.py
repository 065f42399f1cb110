"""Find connected pelvic sensors by USB identity (``serial.tools.list_ports``).

The sensor enumerates as a USB CDC-ACM port with the IDs in :data:`SENSOR_USB_IDS` (the
STM32F405's USB device; see ``docs/sensor-link.md``). A UART build behind a USB-serial bridge
(FT231X, CP2102N, CH340) has the bridge's generic IDs, which many unrelated gadgets share, so
such a port only counts when its product or manufacturer string names the sensor (the bridge's
EEPROM is programmed with :data:`PRODUCT_MARKERS` at assembly). Pseudo-terminals (the emulator)
are never listed by the OS enumeration: type their path instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from serial.tools import list_ports

#: (vendor id, product id) of the sensor's own USB CDC interface.
SENSOR_USB_IDS: frozenset[tuple[int, int]] = frozenset({
    (0x0483, 0x5740),  # STMicroelectronics virtual COM port (STM32F405 USB FS device)
})
#: USB-serial bridges used by the UART build; matched only together with a product marker.
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

    def __str__(self) -> str:
        sn = f", serial {self.serial_number}" if self.serial_number else ""
        return f"{self.device} ({self.description}{sn})"


def _marked(port: object) -> bool:
    text = " ".join(str(getattr(port, a, "") or "") for a in ("product", "manufacturer",
                                                               "description", "interface"))
    return any(m in text.lower() for m in PRODUCT_MARKERS)


def match_port(port: object) -> SensorPort | None:
    """The sensor on ``port`` (a ``ListPortInfo``), or None when it is something else."""
    vid, pid = getattr(port, "vid", None), getattr(port, "pid", None)
    if vid is None or pid is None:
        return None
    own = (vid, pid) in SENSOR_USB_IDS
    bridge = (vid, pid) in BRIDGE_USB_IDS and _marked(port)
    if not (own or bridge):
        return None
    return SensorPort(
        device=str(port.device),  # type: ignore[attr-defined]
        description=str(getattr(port, "description", "") or getattr(port, "product", "") or ""),
        serial_number=str(getattr(port, "serial_number", "") or ""),
        vid=int(vid), pid=int(pid), via_bridge=not own,
    )


def find_sensors() -> list[SensorPort]:
    """Connected sensors, own USB IDs first, then by device path (stable across calls)."""
    found = [m for p in list_ports.comports() if (m := match_port(p)) is not None]
    return sorted(found, key=lambda s: (s.via_bridge, s.device))
