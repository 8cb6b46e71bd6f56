# Two commands do all the set-up on a fresh machine with Python 3.11 and pip:
#   make demo   install, start the server, place two real calls offline, print them, stop
#   make test   install, lint, type-check and run the whole test suite (what .ci/run runs)
SHELL := /bin/bash
export UV_PYTHON_DOWNLOADS := never
export UV_LINK_MODE := copy
# Trust the machine's certificate store, as pip does (TLS-inspecting proxies, private CAs).
export UV_SYSTEM_CERTS := 1
UV_VERSION := 0.13.8
# uv from PATH, else as a module of the Python that pip installed it into (no script-dir guess).
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")

.PHONY: uv install services browser widget demo test lint typecheck serve bench-latency \
	bench-coldstart deploy notebooks

uv:
	@$(UV) --version >/dev/null 2>&1 || { \
		echo "installing uv $(UV_VERSION) with pip..."; \
		python3 -m pip install --user --progress-bar on "uv==$(UV_VERSION)"; }

.venv/.synced: pyproject.toml uv.lock
	@$(MAKE) --no-print-directory uv
	$(UV) sync --frozen --python 3.11
	@touch $@

install: .venv/.synced

# The tracker's tests start their own redis-server (Debian's package) on a free port, so one the
# package starts on 6379 does not matter. Without it they skip, or fail under CI (CI=1).
APT_INSTALL = if [ "$$(id -u)" = 0 ]; then sudo=; \
	elif command -v sudo >/dev/null 2>&1; then sudo=sudo; \
	else echo "$$pkgs missing and no root or sudo: install them (apt-get install $$pkgs)" >&2; exit 0; fi; \
	if ! command -v apt-get >/dev/null 2>&1; then \
		echo "$$pkgs missing: install them with your package manager" >&2; exit 0; fi; \
	apt="$$sudo env DEBIAN_FRONTEND=noninteractive apt-get"; \
	$$apt install -y --no-install-recommends $$pkgs \
	|| { $$apt update && $$apt install -y --no-install-recommends $$pkgs; }

services:
	@command -v redis-server >/dev/null 2>&1 || { pkgs=redis-server; \
		echo "installing redis-server (for the call-slot tests)..."; $(APT_INSTALL); }

browser: widget
	@command -v chromium >/dev/null 2>&1 || { pkgs=chromium; \
		echo "installing chromium (for the browser tests)..."; $(APT_INSTALL); }

widget: functions/web/voxcore-call.js

functions/web/voxcore-call.js: web/package.json web/package-lock.json web/src/voxcore-call.js
	@command -v npm >/dev/null 2>&1 || { pkgs="nodejs npm"; \
		echo "installing node and npm (to build the widget)..."; $(APT_INSTALL); }
	@if command -v npm >/dev/null 2>&1; then cd web && npm ci --no-audit --no-fund && npm run build; \
	else echo "npm missing: the widget is not built (its test skips, or fails under CI)" >&2; fi

demo: install
	$(UV) run --frozen voxcore demo

serve: install
	$(UV) run --frozen voxcore serve

lint: install
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .

typecheck: install
	$(UV) run --frozen mypy

# Calls in the integration tests are mostly real-time waiting, so test files run side by side
# (-n 2); the few that assert timing at the caller's ear run afterwards, alone (-m serial).
test: services browser lint typecheck
	$(UV) run --frozen pytest -q -n 2 --dist loadfile -m "not serial"
	$(UV) run --frozen pytest -q -m serial

# The lab's notebooks, executed headless (executed copies and plots in var/lab/notebooks).
notebooks: install
	$(UV) run --frozen voxcore lab notebooks

bench-latency: install
	$(UV) run --frozen python bench/latency.py

bench-coldstart: install
	$(UV) run --frozen python bench/coldstart.py --rounds 3

# Modal (docs/deploy.md): needs `uv run modal token new` once and the five Secrets.
deploy: install
	$(UV) run --frozen modal deploy modal_app.py
