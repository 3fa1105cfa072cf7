# Qiancun: the two commands are `make run` and `make test` (see README.md).
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
COUNTY ?= 330523

.PHONY: install run test migrate data messages check bench bench-nation mutate backup restore clean

# DEBUG is off unless set (config/settings.py: production never runs on development defaults). These
# development targets turn it on unless the environment says otherwise; backup and restore do not.
DEV_TARGETS := run test migrate data messages check bench bench-nation
$(DEV_TARGETS): export DEBUG ?= 1

# Create .venv and install the project with its dev extra (again only when pyproject.toml changes).
install: $(STAMP)
$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found: set PYTHON=/path/to/python3.11"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip setuptools wheel
	$(PIP) install --quiet -e ".[dev]"
	touch $(STAMP)

migrate: install
	$(PY) manage.py migrate --noinput

# The shipped Zhejiang divisions and the sample programme of 安吉县 (both idempotent).
data: migrate
	$(PY) manage.py import_divisions
	$(PY) manage.py seed_demo --county $(COUNTY)
	$(PY) manage.py rebuild_dashboard

run: data
	@$(PY) manage.py demo_logins --url http://$(HOST):$(PORT)/
	$(PY) manage.py runserver $(HOST):$(PORT)

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

# Benchmarks on PostgreSQL at province scale (a separate database; the first run builds it,
# about 3 minutes: Zhejiang's divisions, then generate_programme over its 19,708 villages).
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/qiancun_bench
bench: install
	@psql "$(BENCH_DATABASE_URL)" -Atc 'select 1' >/dev/null 2>&1 || createdb -h 127.0.0.1 -U postgres $(notdir $(BENCH_DATABASE_URL))
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) manage.py migrate --noinput -v0
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) manage.py import_divisions -v0
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) manage.py generate_programme --province 33 --if-missing
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) manage.py bench_dashboard
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) manage.py bench_api
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) manage.py bench_feed
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) manage.py bench_reports
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) manage.py bench_photos
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) manage.py bench_imports
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) manage.py bench_requests
	test -x tools/lighthouse/node_modules/.bin/lighthouse || npm ci --prefix tools/lighthouse --no-audit --no-fund
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) manage.py bench_lighthouse

# The nation (README "The nation"): every province's real villages at a lighter density, in a database of its own
# (about 20 minutes and 10 GB the first time), then what it costs: size, the dashboard at county, city, province and
# national scope, the API's village list. Not part of `make bench`.
NATION_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/qiancun_nation
NATION_PROVINCE ?= 51
bench-nation: install
	@psql "$(NATION_DATABASE_URL)" -Atc 'select 1' >/dev/null 2>&1 || createdb -h 127.0.0.1 -U postgres $(notdir $(NATION_DATABASE_URL))
	DATABASE_URL=$(NATION_DATABASE_URL) $(PY) manage.py migrate --noinput -v0
	DATABASE_URL=$(NATION_DATABASE_URL) $(PY) manage.py import_divisions villages/data/nation -v0
	DATABASE_URL=$(NATION_DATABASE_URL) $(PY) manage.py generate_programme --province all --projects-per-village 2 --reports-per-project 3 --if-missing
	DATABASE_URL=$(NATION_DATABASE_URL) $(PY) manage.py bench_nation --province $(NATION_PROVINCE)
	DATABASE_URL=$(NATION_DATABASE_URL) $(PY) manage.py bench_dashboard --province $(NATION_PROVINCE) --output bench-results/nation-dashboard.json
	DATABASE_URL=$(NATION_DATABASE_URL) $(PY) manage.py bench_api --region $(NATION_PROVINCE) --output bench-results/nation-api.json
	DATABASE_URL=$(NATION_DATABASE_URL) $(PY) manage.py bench_feed --province all --output bench-results/nation-feed.json
	DATABASE_URL=$(NATION_DATABASE_URL) $(PY) manage.py bench_reports --region nation --only roster.csv,roster.xlsx --repeat 1 --output bench-results/nation-roster.json

# Mutation testing of the modules that hold the invariants (tools/mutate.py; README "Mutation testing").
# Not in CI: about 40 minutes on 2 cores. MODULES="core/scoping.py" limits it; the scores print at the end.
mutate: install
	$(PY) tools/mutate.py $(MODULES)

check: install
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run

# Backups of the PostgreSQL database of DATABASE_URL (see README, "Backups").
# `make backup` writes $(BACKUP_DIR)/qiancun-YYYYmmdd-HHMMSS.dump (pg_dump custom format);
# `make restore FILE=...` replaces the database's contents with one (asks first; NOINPUT=1 does not).
BACKUP_DIR ?= backups
ifneq ($(filter restore,$(MAKECMDGOALS)),)
ifeq ($(strip $(FILE)),)
$(error FILE is not set: make restore FILE=$(BACKUP_DIR)/qiancun-YYYYmmdd-HHMMSS.dump)
endif
endif

backup: install
	$(PY) manage.py backup --dir "$(BACKUP_DIR)"

restore: install
	$(PY) manage.py restore "$(FILE)" $(if $(NOINPUT),--noinput)

# Regenerate the translation catalogue after changing interface strings.
messages: install
	$(PY) manage.py makemessages -l zh_Hans -l en --ignore=.venv --ignore=staticfiles --no-obsolete
	$(PY) manage.py compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) .pytest_cache staticfiles mutants mutants-work
