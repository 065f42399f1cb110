"""The app words what the signal core decides (the core holds no English for the live
status): the same texts as before they moved."""

from __future__ import annotations

import numpy as np

from biofeedback.app.wording import quality_text, suggestion_text
from biofeedback.signal import LiveProcessor, QualityFlag


def test_quality_flags_in_words_worst_first():
    assert quality_text(QualityFlag.OK) == "Signal OK"
    assert quality_text(QualityFlag.HUM | QualityFlag.FLAT) == (
        "Flat signal: check that the probe is in place and the leads are connected; "
        "Mains hum: move away from power cables or switch the mains notch on")


def test_the_notch_suggestion_in_words():
    assert suggestion_text("notch", 50.0) == ("Mains hum at 50 Hz is measured: switch the 50 Hz "
                                              "notch on.")
    assert suggestion_text("notch", 60.0, offline=True).endswith("(analyze --notch 60).")
    assert suggestion_text("", 50.0) == "" and suggestion_text("notch", None) == ""


def test_the_live_status_carries_keys_the_app_words():
    fs = 2000.0
    t = np.arange(int(8 * fs)) / fs
    x = np.random.default_rng(1).standard_normal(len(t)) * 3 + 20 * np.sin(2 * np.pi * 50 * t)
    proc = LiveProcessor(fs, ("pfm",))
    for a in range(0, len(x), 40):
        proc.process_emg(x[a:a + 40, None], a)
    st = proc.status()
    assert st.suggestion == "notch" and st.hum_hz == 50.0
    assert "hum" in st.quality_message.split(",")
    assert suggestion_text(st.suggestion, st.hum_hz).startswith("Mains hum at 50 Hz")
    assert "Mains hum" in quality_text(st.quality)
