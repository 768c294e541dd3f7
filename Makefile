# The two commands of the README: `make demo` and `make test`. Both install what is missing first.
.PHONY: setup demo test lint bench

setup:
	@bash scripts/bootstrap.sh

demo: setup
	.venv/bin/vdm demo --out out/demo

test: setup
	.venv/bin/ruff check .
	.venv/bin/python -m pytest

bench: setup
	.venv/bin/python -m benchmarks.run
