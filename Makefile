# Tieout — `make run` brings up the whole product, `make test` runs the suite.
# Needs only Python 3.12 and make: uv is installed into .tools/ when it is not on PATH.

SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
UV := $(or $(shell command -v uv 2>/dev/null),$(CURDIR)/.tools/bin/uv)
RUN := $(UV) run --frozen

# Development defaults for `make run` (and the targets it runs first): the product talks to
# the local emulators, with the emulators' public demo credentials. They apply to these
# targets only — `make test` and CI never see them. Export your own values to override them.
DEMO_TARGETS := run demo migrate
$(DEMO_TARGETS): export DEBUG ?= true
$(DEMO_TARGETS): export STRIPE_API_BASE ?= http://127.0.0.1:12111
$(DEMO_TARGETS): export STRIPE_CONNECT_BASE ?= http://127.0.0.1:12111
$(DEMO_TARGETS): export STRIPE_SECRET_KEY ?= sk_test_51TieoutPlatformEmulatorKey0000000000
$(DEMO_TARGETS): export STRIPE_CONNECT_CLIENT_ID ?= ca_TieoutEmulatorConnectClient0000
$(DEMO_TARGETS): export STRIPE_APP_CLIENT_ID ?= ca_TieoutEmulatorStripeApp00000000
$(DEMO_TARGETS): export STRIPE_APP_CLIENT_SECRET ?= sk_test_51TieoutPlatformEmulatorKey0000000000
$(DEMO_TARGETS): export STRIPE_APP_AUTHORIZE_URL ?= http://127.0.0.1:12111/oauth/v2/authorize
$(DEMO_TARGETS): export INTUIT_ENVIRONMENT ?= sandbox
$(DEMO_TARGETS): export INTUIT_API_BASE ?= http://127.0.0.1:12112
$(DEMO_TARGETS): export INTUIT_DISCOVERY_URL ?= http://127.0.0.1:12112/.well-known/openid_sandbox_configuration/
$(DEMO_TARGETS): export INTUIT_CLIENT_ID ?= ABemulatorClientId0000000000000000000000000000000
$(DEMO_TARGETS): export INTUIT_CLIENT_SECRET ?= emulatorClientSecret0000000000000000000

.PHONY: help run test lint format bench install migrate demo clean

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(CURDIR)/.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet uv

install: $(UV) ## Create .venv from uv.lock
	$(UV) sync --frozen

migrate: install ## Apply database migrations
	$(RUN) python manage.py migrate --noinput

STRIPE_STATE := var/stripe-emulator.json

demo: migrate ## Create the demo login and a seeded Stripe history (and print the login)
	@test -f $(STRIPE_STATE) || $(RUN) python -m emulators.stripe seed --seed 1 --days 30 \
		--customers 12 --currencies usd --state $(STRIPE_STATE) 2>/dev/null
	$(RUN) python manage.py seed_demo

run: demo ## Web, worker, beat and the local emulators on 127.0.0.1, with a demo login
	@mkdir -p var/celery/out var/celery/processed var/celery/control
	$(RUN) honcho start --procfile Procfile.dev --no-colour

test: install ## Run the whole suite (SQLite; PostgreSQL/Redis when DATABASE_URL/REDIS_URL are set)
	$(RUN) pytest

lint: install ## ruff, formatting and missing migrations
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	DEBUG=true $(RUN) python manage.py makemigrations --check --dry-run

format: install ## Apply ruff's fixes and formatting
	$(RUN) ruff check --fix .
	$(RUN) ruff format .

bench: install ## Run benchmarks; results go to bench/results/*.json
	$(RUN) python -m bench.run

clean: ## Remove local state (database, queues, caches, test artifacts)
	rm -rf var staticfiles test-artifacts .pytest_cache
