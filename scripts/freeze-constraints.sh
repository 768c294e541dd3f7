#!/usr/bin/env bash
# Rewrites constraints.txt from the packages installed in .venv (run after changing pyproject.toml).
set -euo pipefail
cd "$(dirname "$0")/.."
{
  echo "# Exact versions that 'make demo' / 'make test' install (pip install -c constraints.txt)."
  echo "# Regenerate after a dependency change: scripts/freeze-constraints.sh"
  .venv/bin/python -m pip freeze --exclude-editable | grep -v '^-e' | sed 's/+cpu$//'
} > constraints.txt.new
mv constraints.txt.new constraints.txt
