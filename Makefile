# The two commands of the README, and the site build.
#   make serve   bootstrap .venv, then serve the site with live reload on http://127.0.0.1:8000
#   make test    bootstrap .venv and the system packages, then run every test (strict site build included)
#   make site    build the site into site/ with --strict
# A second run reuses .venv: it is rebuilt only when requirements.lock or pyproject.toml change.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.garauth-installed
export NO_MKDOCS_2_WARNING := 1

.PHONY: serve test site lock system-packages clean

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || PYTHON=$(PYTHON) sh scripts/system-packages.sh --venv-only
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $@

# --watch: reload when an included example or a fact changes, not only a page.
serve: $(STAMP)
	$(BIN)/mkdocs serve --strict --dev-addr 127.0.0.1:8000 --watch examples --watch src/garauth/data

site: $(STAMP)
	$(BIN)/mkdocs build --strict --site-dir site

system-packages:
	@PYTHON=$(PYTHON) sh scripts/system-packages.sh

# System packages first: they include what creating .venv needs on a bare Debian.
test: system-packages $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Regenerate requirements.lock from requirements.in in a scratch environment.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet --disable-pip-version-check -r requirements.in
	{ echo "# Exact pins for every package the project installs (make lock regenerates this file)."; \
	  .lock-venv/bin/pip freeze --exclude-editable; } > requirements.lock
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) site .pytest_cache
