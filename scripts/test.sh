#!/usr/bin/env bash
# Install everything the tests need on a fresh machine, then run them.
#
# System tools (Chromium for the HTML leaflet tests, poppler-utils for the PDF
# page images) come from Debian; Python packages into .venv; axe-core and the FHIR
# engines from npm.
# Then: the test suite, and the content checks that CI runs next to it.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v chromium >/dev/null || need+=(chromium chromium-driver fonts-dejavu-core)
command -v pdftoppm >/dev/null || need+=(poppler-utils)
command -v npm >/dev/null || need+=(npm)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "note: missing ${need[*]} (install them as root); browser and PDF page tests need them" >&2
  fi
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test]' 'ruff>=0.6' 'mypy>=1.11' types-jsonschema types-PyYAML
if [ -f tests/browser/package-lock.json ] && command -v npm >/dev/null; then
  npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error
fi
if [ -f tests/fhir-engines/package-lock.json ] && command -v npm >/dev/null; then
  # Encender, cql-execution, cql-exec-fhir, fhirpath.js: the FHIR engines the export is run in
  npm ci --prefix tests/fhir-engines --ignore-scripts --no-audit --no-fund --loglevel=error
fi

status=0
# One worker per core; a test file stays on one worker, so its module fixtures
# (the FHIR engines' run, the exported Bundle) are built once.
.venv/bin/python -m pytest -n auto --dist loadfile "$@" || status=$?
if [ "$status" -eq 5 ]; then
  echo "pytest collected no tests" >&2
fi
.venv/bin/ruff check src exporters tests benchmarks || status=1
.venv/bin/ruff format --check src exporters tests benchmarks || status=1
.venv/bin/mypy src exporters/kneeguide_exporters || status=1
.venv/bin/kneeguide validate || status=1
.venv/bin/kneeguide verify || status=1
exit "$status"
