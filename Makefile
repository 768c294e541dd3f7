# The two commands of the README: `make demo` and `make test`. Both install what is missing first.
# The suite runs on every core (pytest-xdist); tests that start worker processes of their own share
# one xdist group, so they run one after another instead of fighting over the cores.
.PHONY: setup demo test test-fast lint bench

PYTEST = .venv/bin/python -m pytest -n auto --dist loadgroup

setup:
	@bash scripts/bootstrap.sh

demo: setup
	.venv/bin/vdm demo --out out/demo

test: setup lint
	$(PYTEST)

test-fast: setup lint
	$(PYTEST) -m "not slow"

lint: setup
	.venv/bin/ruff check .

bench: setup
	.venv/bin/python -m benchmarks.run
