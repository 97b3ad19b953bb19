#!/usr/bin/env bash
# Validates the served OpenAPI document with openapi-spec-validator (OpenAPI 3.1 schema and
# JSON Schema 2020-12 dialect), offline. Dumps the document with the `openapi` example first.
# Usage: crates/baomi-server/tests/openapi_validate.sh   (from anywhere; needs python3)
set -euo pipefail
cd "$(dirname "$0")/../../.."
target="${CARGO_TARGET_DIR:-target}"
mkdir -p "$target"
if ! python3 -c 'import openapi_spec_validator' >/dev/null 2>&1; then
  python3 -m pip install --quiet openapi-spec-validator \
    || python3 -m pip install --quiet --break-system-packages openapi-spec-validator
fi
cargo run --quiet -p baomi-server --example openapi > "$target/openapi.json"
python3 - "$target/openapi.json" <<'PY'
import json, sys
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError
path = sys.argv[1]
with open(path, encoding="utf-8") as f:
    doc = json.load(f)
try:
    validate(doc)
except OpenAPIValidationError as e:
    print(f"openapi-spec-validator: {path} is not valid: {e}", file=sys.stderr)
    sys.exit(1)
ops = sum(len(v) for v in doc["paths"].values())
print(f"openapi-spec-validator: {path} is valid OpenAPI {doc['openapi']} ({ops} operations)")
PY
