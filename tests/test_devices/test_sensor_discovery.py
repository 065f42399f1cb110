"""Port discovery: which enumerated USB serial ports count as the sensor."""

from __future__ import annotations

from serial.tools.list_ports_common import ListPortInfo

from biofeedback.devices import discovery


def _port(device: str, vid: int | None, pid: int | None, product: str = "",
          serial_number: str = "") -> ListPortInfo:
    p = ListPortInfo(device, skip_link_detection=True)
    p.vid, p.pid, p.product, p.serial_number = vid, pid, product, serial_number
    p.description = product or "n/a"
    return p


def test_matches_own_ids_and_marked_bridges_only(monkeypatch) -> None:
    ports = [
        _port("/dev/ttyUSB0", 0x0403, 0x6015, "FT231X USB UART"),  # unrelated gadget
        _port("/dev/ttyUSB1", 0x10C4, 0xEA60, "bfsensor UART", "A1"),  # our UART build
        _port("/dev/ttyACM1", 0x0483, 0x5740, "STM32 Virtual ComPort", "3600473031385106"),
        _port("/dev/ttyS0", None, None),  # a motherboard UART
        _port("/dev/ttyACM0", 0x2341, 0x0043, "Arduino Uno"),
    ]
    monkeypatch.setattr(discovery.list_ports, "comports", lambda: ports)
    found = discovery.find_sensors()
    assert [s.device for s in found] == ["/dev/ttyACM1", "/dev/ttyUSB1"]
    assert found[0].serial_number == "3600473031385106" and not found[0].via_bridge
    assert found[1].via_bridge
    assert "/dev/ttyACM1" in str(found[0])


def test_unmarked_bridges_only_on_request(monkeypatch) -> None:
    ports = [_port("/dev/ttyUSB0", 0x1A86, 0x7523, "USB Serial"),  # CH340: no string EEPROM
             _port("/dev/ttyUSB1", 0x0403, 0x6015, "Pelvic bfsensor")]
    monkeypatch.setattr(discovery.list_ports, "comports", lambda: ports)
    assert [s.device for s in discovery.find_sensors()] == ["/dev/ttyUSB1"]
    found = discovery.find_sensors(include_unmarked=True)
    assert [(s.device, s.confirmed) for s in found] == [("/dev/ttyUSB1", True),
                                                        ("/dev/ttyUSB0", False)]


def test_no_ports_means_empty_list(monkeypatch) -> None:
    monkeypatch.setattr(discovery.list_ports, "comports", lambda: [])
    assert discovery.find_sensors() == []


def test_factory_opens_first_sensor_found_for_auto(monkeypatch) -> None:
    from biofeedback.devices import factory
    from biofeedback.devices.serial_sensor import SerialSensor

    ports = [_port("/dev/ttyACM7", 0x0483, 0x5740, "STM32 Virtual ComPort")]
    monkeypatch.setattr(discovery.list_ports, "comports", lambda: ports)
    src = factory.open_source("auto")
    assert isinstance(src, SerialSensor) and src.port == "/dev/ttyACM7"
