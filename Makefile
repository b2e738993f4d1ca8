# pco-sync: build/run entry points. Everything bootstraps from python3.11 + make.
SHELL := /bin/bash
.DEFAULT_GOAL := test

ROOT   := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
PYTHON ?= $(shell command -v python3.11 >/dev/null 2>&1 && echo python3.11 || echo python3)
VENV   := $(ROOT)/.venv
VPY    := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

export PYTHONPATH := $(ROOT):$(ROOT)/plugins$(if $(PYTHONPATH),:$(PYTHONPATH))

.PHONY: venv chromium test bench demo airflow celery full-sync schema-docs screenshots clean

venv: $(STAMP)

# Reinstalls only when the lock changes (or the venv is missing).
$(STAMP): $(ROOT)/requirements.txt $(ROOT)/plugins/pyproject.toml
	@test -x $(VPY) || $(PYTHON) -m venv $(VENV)
	@echo "Installing the pinned packages of requirements.txt into .venv/ (a few minutes the first time) ..."
	-@$(VPY) -m pip install --quiet --disable-pip-version-check uv
	@if [ -x $(VENV)/bin/uv ] && $(VENV)/bin/uv pip install --quiet --python $(VPY) -r $(ROOT)/requirements.txt; then \
	  :; \
	else \
	  echo "uv unavailable or failed; falling back to pip" >&2; \
	  $(VPY) -m pip install --quiet --disable-pip-version-check -r $(ROOT)/requirements.txt; \
	fi
	@# pco_sync as an editable provider package: its entry point registers the "pco" connection type.
	@if [ -x $(VENV)/bin/uv ]; then $(VENV)/bin/uv pip install --quiet --python $(VPY) --no-deps -e $(ROOT)/plugins; \
	else $(VPY) -m pip install --quiet --disable-pip-version-check --no-deps -e $(ROOT)/plugins; fi
	@touch $@

test: venv chromium
	cd $(ROOT) && $(VPY) -m pytest tests -q

# The review page's browser test drives Debian's chromium through Playwright (Playwright's own
# browser download needs the internet). Installed here when missing and we may (root + apt).
chromium:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 \
	  || [ -n "$$PCO_SYNC_CHROMIUM" ] || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Debian's chromium for the browser test (apt-get install chromium) ..."; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1 \
	      || { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }; \
	  else \
	    echo "The browser test needs Chromium. Install it with:  sudo apt-get install -y chromium" >&2; \
	    echo "(or set PCO_SYNC_CHROMIUM to a Chrome or Chromium binary)" >&2; exit 1; \
	  fi; }

bench: venv
	@if [ -f $(ROOT)/bench/__main__.py ]; then \
	  cd $(ROOT) && $(VPY) -m bench; \
	else \
	  echo "bench/__main__.py not found; nothing to run" >&2; exit 1; \
	fi

# A real sync in a sandbox that starts over each time: its own church database (church_demo),
# a fresh PCO simulator and Airflow home (.local/airflow-demo). See devkit/demo.py.
demo: venv
	cd $(ROOT) && $(VPY) -m devkit.demo

# Standalone Airflow (UI :8080, scheduler, DAG processor) on the embedded church DB and a PCO
# simulator on :8765 that keeps its data in .local/ (unless AIRFLOW_CONN_CHURCH_DB /
# AIRFLOW_CONN_PCO_DEFAULT are set); connections, pools and variables of airflow_settings.yaml
# where missing (what the UI changed is kept); pco_sync unpaused. See devkit/local_airflow.py.
airflow: venv
	cd $(ROOT) && $(VPY) -m devkit.local_airflow

# Airflow on the CeleryExecutor: API server (UI :8080), scheduler, DAG processor and two Celery
# workers as processes, on the machine's Redis (127.0.0.1:6379) and PostgreSQL (127.0.0.1:5432,
# metadata database airflow_celery) or PCO_SYNC_CELERY_BROKER / PCO_SYNC_CELERY_METADATA_DB;
# the church database and PCO simulator as `make airflow` has them. See devkit/celery.py.
celery: venv
	cd $(ROOT) && $(VPY) -m devkit.celery

# A full sync while `make airflow` runs: a triggered run with full_refresh (the scheduler runs
# it; `bin/airflow dags test` would race the scheduler for the same task instances).
full-sync: venv
	cd $(ROOT) && bin/airflow dags trigger pco_sync -c '{"full_refresh": true}'

# docs/schema.md from the church database's own comments: migrates a scratch database (on the
# embedded PostgreSQL, or TEST_DATABASE_URL's server), reads the catalog, drops it. Run it
# after adding a migration; tests/test_schema_docs.py fails until it is. See devkit/schema_docs.py.
schema-docs: venv
	cd $(ROOT) && $(VPY) -m devkit.schema_docs

# The README's two screenshots (docs/images/), from the browser test of every page.
screenshots: venv chromium
	cd $(ROOT) && PCO_SYNC_SCREENSHOTS=1 $(VPY) -m pytest -q -p no:cacheprovider \
	  tests/airflow/test_review_ui.py -k every_page_in_airflows_frame

# Everything the other targets create: the venv, .local/ (the embedded PostgreSQL with every
# church database in it, the Airflow homes of make airflow, make demo and the tests, the PCO
# simulator's kept data, demo logs), the editable install's metadata and Python caches.
# The embedded PostgreSQL is stopped first, so no server is left on a deleted directory.
clean:
	-@[ -x $(VPY) ] && $(VPY) -m devkit.devdb stop 2>/dev/null || true
	rm -rf $(VENV) $(ROOT)/.local $(ROOT)/plugins/*.egg-info $(ROOT)/.pytest_cache
	find $(ROOT) -path $(ROOT)/.git -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +
