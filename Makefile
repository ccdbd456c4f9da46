# Concord: `make demo` installs everything and serves the demo; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# `make test` runs every test on all cores, in a fixed order, and names the slowest.
PYTEST := $(BIN)/python -m pytest -n auto -p no:randomly

.PHONY: demo test test-fast test-random install frontend serve lint bench clean

demo: install frontend
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py seed_demo
	# A task worker beside the web server (large downloads are prepared by it); it stops with it.
	$(BIN)/python manage.py db_worker --no-reload & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT; \
	CONCORD_DEBUG=false $(BIN)/python manage.py runserver 127.0.0.1:8000

test: install frontend
	$(PYTEST) --durations=15

# Local reruns: keep the test databases between runs and leave out the browser journeys.
test-fast: install frontend
	$(PYTEST) --reuse-db -m "not browser"

# The whole suite in a random order (pytest-randomly prints the seed; add --randomly-seed=N to repeat an order).
test-random: install frontend
	$(BIN)/python -m pytest -n auto --durations=15

install: $(STAMP)

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

frontend: static/build/.built

static/build/.built: package.json package-lock.json frontend/build.mjs frontend/concord.scss frontend/concord.js
	npm ci --no-audit --no-fund
	npm run build
	touch static/build/.built

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/lint-imports

bench: install
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) node_modules static/build staticfiles
