#!/usr/bin/env bash
# The JSON Schemas in schemas/ checked by a real validator (check-jsonschema, pinned in
# .ci/run): every shipped TOML file and every file `ironrule init` writes is valid, and a
# broken rule.toml is refused, so the check can fail.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${1:-target/debug/ironrule}
valid() { check-jsonschema --schemafile "schemas/$1.schema.json" "${@:2}"; }
valid rule rules/yichang/*/rule.toml benches/w*/pack/*/rule.toml
valid pack rules/yichang/pack.toml benches/w*/pack/pack.toml
valid ironrule data/yichang/ironrule.toml
valid attributes rules/yichang/attributes.toml
valid waivers data/yichang/waivers.toml
valid land-use rules/yichang/land-use.toml
valid compatibility rules/yichang/*/compatibility.toml
valid indicators rules/yichang/indicators.toml
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$bin" init "$tmp/p" >/dev/null
valid ironrule "$tmp/p/ironrule.toml"
valid pack "$tmp/p/rules/pack.toml"
valid rule "$tmp"/p/rules/*/rule.toml
# The schemas init writes beside the project are the shipped ones.
for s in schemas/*.schema.json; do cmp "$s" "$tmp/p/$s"; done
# A misspelt key and a number written with its unit: refused.
sed -e 's/^severity =/severiti =/' -e 's/^distance_m = 1000$/distance_m = "1000m"/' \
    rules/yichang/YC101-*/rule.toml > "$tmp/bad.toml"
if valid rule "$tmp/bad.toml" > "$tmp/bad.txt" 2>&1; then
    echo "check-jsonschema accepted a broken rule.toml" >&2; exit 1
fi
grep -q "severiti" "$tmp/bad.txt" && grep -q "1000m" "$tmp/bad.txt"
echo "schemas: the shipped and scaffolded TOML files are valid; a broken rule.toml is refused"
