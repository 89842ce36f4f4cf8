# ember: the two commands are `make demo` and `make test`; the rest are single steps.
VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: demo test lint typecheck bench loc clean

$(VENV)/bin/python:
	python3 -m venv $(VENV)

$(VENV)/.test-installed: pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

$(VENV)/.demo-installed: pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install -q -e '.[demo]'
	touch $@

demo: $(VENV)/.demo-installed
	$(PY) examples/seed_digits.py

test: $(VENV)/.test-installed lint
	$(PY) -m pytest -n 2 -q $(PYTEST_ARGS)

lint: $(VENV)/.test-installed
	$(VENV)/bin/ruff check ember tests benchmarks examples

typecheck: $(VENV)/.test-installed
	$(PY) -m pip install -q mypy==1.19.1
	$(PY) -m mypy ember

bench: $(VENV)/.test-installed
	$(PY) benchmarks/run.py

loc:
	@$(PY) scripts/loc.py ember

clean:
	rm -rf $(VENV) build *.egg-info
