# tlkit: two entry points for a fresh machine.
#   make lab   - create .venv if missing, install, open the tutorial notebooks in JupyterLab
#   make test  - create .venv if missing, install everything (apt packages too when root on Debian/Ubuntu),
#                then ruff, mypy --strict on tlkit/, pytest and nbval on notebooks/
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.tlkit-installed
APT_PACKAGES := swtpm swtpm-tools tpm2-tools chromium osslsigncode libefivar1
LOCK := requirements/lock.txt

.PHONY: lab voila dashboard test install system-deps lint typecheck unit notebooks bench regen-notebooks clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml $(LOCK) | $(PY)
	$(PY) -m pip install --quiet -c $(LOCK) -e '.[test,lab,bench,scale]'
	touch $(STAMP)

install: $(STAMP)

# System packages: the real TPM (swtpm), tpm2-tools, Chromium (tests/browser), osslsigncode (tlkit.boot),
# libefivar1 (keylime, the peer the attest tests and benchmarks compare with, parses logs with it). Installed with apt only
# when running as root on a Debian/Ubuntu machine and something is missing; elsewhere the interop and
# browser tests skip loudly (and fail when CI=true).
system-deps:
	@missing=""; for b in swtpm tpm2_quote tpm2_checkquote tpm2_eventlog chromium osslsigncode; do command -v $$b >/dev/null || missing="$$missing $$b"; done; \
	/sbin/ldconfig -p 2>/dev/null | grep -q libefivar.so.1 || missing="$$missing libefivar1"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing $(APT_PACKAGES) (missing:$$missing)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(APT_PACKAGES) >/dev/null; \
	  else echo "WARNING: missing$$missing; install: sudo apt-get install $(APT_PACKAGES)"; fi; \
	fi

lint: install
	$(VENV)/bin/ruff check tlkit tests benchmarks scripts notebooks/conftest.py

typecheck: install
	$(VENV)/bin/mypy

unit: install system-deps
	MPLBACKEND=Agg $(PY) -m pytest -q tests

# nbval: never set MPLBACKEND here (the kernel would stop displaying figures).
notebooks: install
	$(PY) -m pytest -q -p no:cacheprovider --nbval --nbval-current-env --nbval-cell-timeout=300 \
	  --nbval-sanitize-with tests/nbval_sanitize.cfg notebooks/

test: system-deps install lint typecheck unit notebooks

bench: install system-deps
	for b in benchmarks/bench_*.py; do $(PY) $$b || exit 1; done

# Restart & Run All for every notebook, in the same environment that CI uses. The widget state is
# saved with each notebook (JupyterLab then draws the widgets before anything runs); tidy_notebooks
# gives the widget models stable ids. Never set MPLBACKEND here (figures would not be stored).
regen-notebooks: install
	cd notebooks && for nb in [0-9]*.ipynb; do \
	  env -u MPLBACKEND ../$(PY) -m jupyter nbconvert --to notebook --execute --inplace \
	    --ExecutePreprocessor.store_widget_state=True $$nb || exit 1; done
	$(PY) scripts/tidy_notebooks.py notebooks/*.ipynb

# The notebooks as dashboards (code hidden), offline: tlkit's Voila template (notebooks/jupyter/)
# drops the lab template's CDN stylesheets.
voila: install
	JUPYTER_PATH=$(CURDIR)/notebooks/jupyter $(VENV)/bin/voila --no-browser --Voila.ip=127.0.0.1 \
	  --template=tlkit notebooks/

# Notebook 08's fleet dashboard (code hidden), offline, with tlkit's Voila template.
dashboard: install
	JUPYTER_PATH=$(CURDIR)/notebooks/jupyter $(VENV)/bin/voila --no-browser --Voila.ip=127.0.0.1 \
	  --template=tlkit notebooks/08_fleet_alert_rates.ipynb

# JupyterLab draws stored widget outputs only in trusted notebooks: trust the tutorial notebooks (their
# saved widget state then shows every widget before anything runs).
lab: install
	$(VENV)/bin/jupyter trust notebooks/[0-9]*.ipynb
	@if [ -z "$$DISPLAY" ] && [ -z "$$WAYLAND_DISPLAY" ]; then \
	  echo "headless: open the URL printed below in your browser"; \
	  $(VENV)/bin/jupyter lab --no-browser --ip=127.0.0.1 $$( [ "$$(id -u)" = 0 ] && echo --allow-root ) notebooks/; \
	else $(VENV)/bin/jupyter lab notebooks/; fi

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
