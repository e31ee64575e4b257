# Ourplan: `make demo` and `make test` are the two commands a newcomer needs (see README).
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
VENDOR := src/ourplan/static/vendor
export OURPLAN_DATA_DIR ?= $(CURDIR)/var
# Local commands run with DEBUG on (dev secret key); production sets OURPLAN_SECRET_KEY instead.
MANAGE := OURPLAN_DEBUG=1 $(BIN)/ourplan

.PHONY: demo test setup assets system-deps lint typecheck migrations-check serve worker clean bench

# Debian packages WeasyPrint (PDFs) needs at run time, and poppler for turning PDFs into PNGs.
SYSTEM_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core poppler-utils

system-deps:
	@missing=""; for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then echo "Installing Debian packages:$$missing"; \
	    (apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "Please install these Debian packages:$$missing"; fi; fi
	@command -v npm >/dev/null 2>&1 || { if [ "$$(id -u)" = 0 ]; then echo "Installing Node.js and npm"; \
	  (apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; \
	  else echo "Please install Node.js and npm (for the NHS.UK frontend assets)"; exit 1; fi; }

$(BIN)/ourplan: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

$(VENDOR)/.stamp: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	rm -rf $(VENDOR) && mkdir -p $(VENDOR)/nhsuk $(VENDOR)/htmx $(VENDOR)/chartjs
	cp node_modules/nhsuk-frontend/dist/nhsuk/nhsuk-frontend.min.css node_modules/nhsuk-frontend/dist/nhsuk/nhsuk-frontend.min.js $(VENDOR)/nhsuk/
	# The NHS.UK stylesheet loads the Frutiger web font from assets.nhs.uk: every page view would tell a third
	# party who is looking at Ourplan, and offline the page waits for it. Drop those @font-face rules; the
	# stylesheet's own fallback (Arial) is used instead.
	python3 -c "import re,sys; p=sys.argv[1]; s=open(p).read(); open(p,'w').write(re.sub(r'@font-face\{[^}]*assets\.nhs\.uk[^}]*\}','',s))" $(VENDOR)/nhsuk/nhsuk-frontend.min.css
	cp -r node_modules/nhsuk-frontend/dist/nhsuk/assets $(VENDOR)/nhsuk/assets
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx/
	cp node_modules/chart.js/dist/chart.umd.min.js $(VENDOR)/chartjs/
	touch $@

assets: $(VENDOR)/.stamp

setup: system-deps $(BIN)/ourplan assets
	$(MANAGE) migrate --noinput -v 0
	$(MANAGE) createcachetable

demo: setup
	OURPLAN_REQUIRE_STAFF_MFA=0 $(MANAGE) seed-demo --people 2000 --seed 1 --reset
	$(MANAGE) seed-services
	OURPLAN_REQUIRE_STAFF_MFA=0 $(MANAGE) runserver 127.0.0.1:8000

test: system-deps $(BIN)/ourplan assets
	@if [ -x /usr/bin/chromium ] || command -v chromium >/dev/null 2>&1; then \
	  echo "Browser tests: using $$(command -v chromium || echo /usr/bin/chromium)"; \
	else echo "Browser tests: SKIPPED, no chromium found (apt-get install chromium to run them)"; fi
	$(BIN)/pytest

lint: $(BIN)/ourplan
	$(BIN)/ruff check .

typecheck: $(BIN)/ourplan
	$(BIN)/mypy

migrations-check: $(BIN)/ourplan
	$(MANAGE) makemigrations --check --dry-run

worker: setup
	$(MANAGE) db_worker

bench: setup
	$(BIN)/python bench/seed_bench.py

clean:
	rm -rf $(VENV) node_modules $(VENDOR) var
