# Two commands for people: `make run` (set up and open the app) and `make test` (set up and run
# every check). Everything else here is what those two are made of.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test check lint pytest firmware bench screenshots clean system-deps-run system-deps-test

run: system-deps-run $(STAMP)
	$(BIN)/biofeedback run

test: system-deps-test $(STAMP) lint firmware pytest

system-deps-run:
	@tools/system-deps.sh run

system-deps-test:
	@tools/system-deps.sh test

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("Python >= 3.11 is needed, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[dev,bench]"
	$(BIN)/python -m biofeedback.signal.warmup  # compile the signal kernels once (numba cache)
	$(BIN)/python -m biofeedback.formats.csv_parse  # and the CSV parser's
	@touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

firmware:
	$(MAKE) -C firmware ci

pytest: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_pipeline_speed.py
	$(BIN)/python benchmarks/bench_onset_accuracy.py

# the user guide's pictures, taken from the code (the real window on simulated sources)
screenshots: $(STAMP)
	xvfb-run -a -s "-screen 0 1400x900x24" $(BIN)/python tools/screenshots.py docs/images

clean:
	rm -rf $(VENV) firmware/build .pytest_cache .ruff_cache
