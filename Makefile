# Two commands on a fresh machine with Python 3.11+:  make run   /   make test
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8501

.PHONY: run serve test test-fast bench sample screenshots clean

$(VENV)/.runtime: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.test: $(VENV)/.runtime requirements-test.txt
	$(PY) -m pip install --quiet -r requirements-test.txt
	touch $@

run: $(VENV)/.runtime
	$(PY) -m streamlit run app.py --server.port $(PORT)

# for a team: address, port, public URL and upload limit from LTV_* settings (README, "Serve it to your team")
serve: $(VENV)/.runtime
	$(PY) -m lib serve

test: $(VENV)/.test
	$(PY) bench/bench_load.py --rows 20000
	$(PY) bench/bench_metrics.py --orders 20000
	$(PY) bench/bench_app.py --rows 20000
	$(PY) bench/bench_wide.py --rows 20000 --openpyxl-rows 5000
	$(PY) bench/bench_many.py --files 3 --rows 5000
	$(PY) bench/bench_actions.py --rows 20000
	$(PY) bench/bench_hostile.py
	$(PY) bench/bench_many.py --files 12 --rows 100000
	$(PY) bench/bench_scale.py --orders 200000
	$(PY) -m ruff check --select F,E9 --line-length 130 .
	$(PY) -m mypy lib --ignore-missing-imports --disallow-untyped-defs
	$(PY) -m pytest -q

# the quick loop while changing code: every test but the browser (-m browser) and the slow ones (-m slow), which
# make test runs with the rest; the markers are described in pytest.ini. On both cores (pytest-xdist): 1 min 46 s here,
# 2 min 56 s in one process; make test stays one process, in a fixed order
test-fast: $(VENV)/.test
	$(PY) -m pytest -q -m "not browser and not slow" -n 2

bench: $(VENV)/.test
	$(PY) bench/bench_load.py --rows 1000000
	$(PY) bench/bench_metrics.py --orders 1000000
	$(PY) bench/bench_app.py --rows 1000000
	$(PY) bench/bench_wide.py --rows 200000 1000000
	$(PY) bench/bench_actions.py --rows 1000000
	$(PY) bench/bench_hostile.py
	$(PY) bench/bench_scale.py --orders 1000000 10000000 100000000
	$(PY) bench/bench_serve.py
	$(PY) bench/bench_pages.py

# refresh the README's pictures (English and 中文) from the real browser tests
screenshots: $(VENV)/.test
	LTV_SCREENSHOTS=docs/screenshots $(PY) -m pytest -q tests/test_browser.py -k "every_page or opens_on_sample"

sample: $(VENV)/.runtime
	$(PY) sample_data/make_sample.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
