# Two commands for a newcomer: `make run` (the demo gateway) and `make test` (the suite).
# Each creates what it needs: a virtualenv, GraphiQL's assets, and for tests Chromium.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
UI     := $(VENV)/share/plantgate-ui
GRAPHIQL := $(UI)/node_modules/graphiql/graphiql.min.js
export PLANTGATE_UI_ASSETS ?= $(CURDIR)/$(UI)/node_modules
# Client tooling for the typed-client tests (see the README, "Typed clients").
CLIENT_TOOLS := $(VENV)/share/plantgate-clients
CODEGEN_TS := $(CLIENT_TOOLS)/node_modules/.bin/graphql-codegen
CODEGEN_PY := $(CLIENT_TOOLS)/ariadne/bin/ariadne-codegen
export PLANTGATE_CLIENT_TOOLS ?= $(CURDIR)/$(CLIENT_TOOLS)

.PHONY: run test test-fast check screenshots setup client-tools chromium clean

run: setup
	$(BIN)/plantgate serve --demo

test: setup chromium client-tools
	$(BIN)/python -m pytest

# The inner loop: everything but the browser, multi-process, Tryton and slowest tests (markers in pyproject.toml).
test-fast: setup
	$(BIN)/python -m pytest -m "not browser and not processes and not tryton and not slow"

# Style and types, as CI checks them (settings in pyproject.toml).
check: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The README's pictures: the browser tests, writing their screenshots into docs/.
screenshots: setup chromium
	PLANTGATE_SCREENSHOTS_DIR=$(CURDIR)/docs/screenshots $(BIN)/python -m pytest tests/test_connect_browser.py tests/test_dashboard_browser.py

setup: $(BIN)/.installed $(GRAPHIQL)

client-tools: $(CODEGEN_TS) $(CODEGEN_PY)

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

# GraphiQL is served by the gateway itself (sites are often offline): its
# assets come from the npm registry at set-up, never from a CDN at run time.
$(GRAPHIQL):
	command -v npm >/dev/null || (apt-get update -qq && apt-get install -y -qq nodejs npm)
	mkdir -p $(UI)
	npm install --silent --no-audit --no-fund --prefix $(UI) graphiql@3.8.3 react@18.2.0 react-dom@18.2.0
	test -f $@

# The real clients of tests/test_js_clients.py and tests/test_clients_generated.py, and the Standard Webhooks
# verifier of the webhook tests, pinned in clients/package.json: graphql-codegen, tsc, graphql-ws, Apollo Client
# and standardwebhooks, from the npm registry.
$(CODEGEN_TS): clients/package.json
	command -v npm >/dev/null || (apt-get update -qq && apt-get install -y -qq nodejs npm)
	mkdir -p $(CLIENT_TOOLS)
	cp clients/package.json $(CLIENT_TOOLS)/package.json
	npm install --silent --no-audit --no-fund --prefix $(CLIENT_TOOLS)
	touch $@

# ariadne-codegen pins graphql-core below 3.3, which Strawberry needs: it gets a virtualenv of its own.
$(CODEGEN_PY):
	$(PYTHON) -m venv $(CLIENT_TOOLS)/ariadne
	$(CLIENT_TOOLS)/ariadne/bin/pip install --quiet ariadne-codegen==0.19.0
	test -f $@

chromium:
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)

clean:
	rm -rf $(VENV) data
