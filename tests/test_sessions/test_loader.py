"""Protocol files: the built-in ones load; a bad file names the file, the line and the problem."""

from __future__ import annotations

import pytest

from biofeedback.sessions.loader import (
    ProtocolError,
    builtin_names,
    load_builtin,
    load_protocol,
)
from biofeedback.sessions.protocol import StepKind, TargetKind

GOOD = '''[protocol]
name = "mine"
title = "My practice"
description = "A short practice."

[[step]]
name = "Settle"
kind = "rest"
duration_s = 30
sets_baseline = true
instruction = "Breathe."
measure = ["mean_uv"]

[[step]]
name = "Cycle"
repeat = 2

  [[step.steps]]
  name = "Squeeze"
  kind = "contract"
  duration_s = 3
  effort = 0.5
  instruction = "Squeeze gently."

  [[step.steps]]
  name = "Let go"
  kind = "relax"
  duration_s = 10
  instruction = "Let go."
'''


def test_the_builtin_protocols_are_there_and_cite_their_source():
    assert set(builtin_names()) >= {"assessment", "down-training", "tense-release", "dilator",
                                    "dilator-maintenance", "body-scan"}
    for name in builtin_names():
        p = load_builtin(name)
        assert p.sources and all("clinical.md" in s or "et al." in s for s in p.sources[:1])
        assert "clinician" in p.safety and ("Stop" in p.safety or "stop" in p.safety)
    dt = load_builtin("down-training")
    breathe = next(s for s in dt.steps if s.kind is StepKind.BREATHE)
    assert breathe.pacer.rate_per_min == pytest.approx(6.0)  # clinical.md §5
    assert breathe.pacer.ie_ratio == pytest.approx(3 / 7)
    quiet = next(s for s in dt.steps if s.name == "Quiet practice")
    assert quiet.target.kind is TargetKind.BELOW_LINE and quiet.target.line_factor == 0.9


def test_a_copied_file_loads_and_repeats_expand(tmp_path):
    f = tmp_path / "mine.toml"
    f.write_text(GOOD)
    p = load_protocol(f)
    assert [s.label for s in p.steps] == ["Settle", "Squeeze 1 of 2", "Let go 1 of 2",
                                          "Squeeze 2 of 2", "Let go 2 of 2"]
    assert p.planned_s == pytest.approx(30 + 2 * 13)


@pytest.mark.parametrize(("change", "line", "words"), [
    (('duration_s = 30', 'duration_s = -5'), 9, "duration_s"),
    (('kind = "contract"', 'kind = "squeeze"'), 20, "'kind' must be one of"),
    (('  duration_s = 10\n', '  duration_s = 10\n  colour = "red"\n'), 29, "unknown key 'colour'"),
    (('measure = ["mean_uv"]', 'measure = ["mean_µV"]'), 12, "unknown measurement"),
    (('repeat = 2', 'repeat = 0'), 16, "'repeat'"),
    (('effort = 0.5', 'effort = 2'), 22, "'effort'"),
    (('instruction = "Breathe."', 'instruction = "Breathe.'), 11, "not valid TOML"),
])
def test_a_bad_file_names_its_line_and_problem(tmp_path, change, line, words):
    f = tmp_path / "bad.toml"
    f.write_text(GOOD.replace(*change))
    with pytest.raises(ProtocolError) as exc:
        load_protocol(f)
    text = str(exc.value)
    assert text.startswith(f"{f}:{line}: ") and words in text and "\n" not in text


def test_pacer_outside_the_clinical_range_is_refused(tmp_path):
    f = tmp_path / "p.toml"
    f.write_text(GOOD.replace('kind = "rest"\n', 'kind = "breathe"\npacer = { inhale_s = 1, '
                              'exhale_s = 2 }\n', 1).replace("sets_baseline = true\n", ""))
    with pytest.raises(ProtocolError, match="outside 4-7 breaths/min"):
        load_protocol(f)


def test_missing_files_and_names(tmp_path):
    with pytest.raises(ProtocolError, match="no such protocol file"):
        load_protocol(tmp_path / "nope.toml")
    with pytest.raises(ProtocolError, match="no built-in protocol"):
        load_builtin("nope")
    (tmp_path / "bin.toml").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ProtocolError, match="not a text"):
        load_protocol(tmp_path / "bin.toml")
    assert load_protocol("down-training").name == "down-training"  # a built-in by name
