"""Checks ironrule's reports with the programs that consume them.

    validate.py sarif SCHEMA REPORT.sarif      # the official SARIF 2.1.0 JSON schema
    validate.py junit REPORT.junit REPORT.jsonl  # junitparser, against the JSON Lines findings
    validate.py png SCREENSHOT.png             # a headless-Chromium screenshot is not blank

Exits non-zero with a message on the first problem.
"""
import json
import struct
import sys
import zlib


def sarif(schema_path, report_path):
    import jsonschema

    schema = json.load(open(schema_path, encoding="utf-8"))
    doc = json.load(open(report_path, encoding="utf-8"))
    jsonschema.Draft4Validator.check_schema(schema)
    errors = sorted(jsonschema.Draft4Validator(schema).iter_errors(doc), key=lambda e: list(e.path))
    for e in errors[:10]:
        print(f"SARIF schema: {'/'.join(map(str, e.path))}: {e.message}", file=sys.stderr)
    assert not errors, f"{len(errors)} schema violation(s)"
    run = doc["runs"][0]
    rules = {r["id"] for r in run["tool"]["driver"]["rules"]}
    assert run["results"], "no results"
    for r in run["results"]:
        assert r["ruleId"] in rules, r["ruleId"]
        assert r["partialFingerprints"], r
    print(f"sarif: valid against {schema_path}, {len(run['results'])} results, {len(rules)} rules")


def junit(report_path, jsonl_path):
    from junitparser import Error, Failure, JUnitXml

    findings = [json.loads(line) for line in open(jsonl_path, encoding="utf-8")]
    findings = [f for f in findings if f["type"] == "finding"]
    key = lambda f: (f["feature"]["source"], f["feature"]["index"], f["code"])
    # An undetermined result (no verdict) is a JUnit <error>; a finding is a <failure>.
    expected = {key(f) for f in findings if f["status"] != "undetermined"}
    undetermined = {key(f) for f in findings if f["status"] == "undetermined"} - expected
    xml = JUnitXml.fromfile(report_path)
    seen, failed, errored = set(), set(), set()
    for suite in xml:
        for case in suite:
            k = (case.classname, case.name)
            assert k not in seen, f"duplicate test case {k}"
            seen.add(k)
            source, index = case.classname.split(" ")[0].rsplit("#", 1)
            code = (source, int(index), case.name.split(" ")[0])
            if any(isinstance(r, Failure) for r in case.result):
                failed.add(code)
            elif any(isinstance(r, Error) for r in case.result):
                errored.add(code)
    assert failed == expected, f"failures {sorted(failed ^ expected)} differ from the findings"
    assert errored == undetermined, f"errors {sorted(errored ^ undetermined)} differ from the undetermined results"
    print(f"junit: {len(seen)} test cases, {len(failed)} failing, {len(errored)} undetermined, as in the JSON Lines report")


def png(path):
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width, height = 8, b"", 0, 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    # A blank page decompresses to a handful of byte values; a drawn report to many.
    distinct = len(set(raw))
    assert width >= 800 and height >= 600, (width, height)
    assert distinct > 64, f"screenshot looks blank ({distinct} distinct byte values)"
    print(f"png: {width}x{height}, {distinct} distinct byte values: not blank")


if __name__ == "__main__":
    {"sarif": sarif, "junit": junit, "png": png}[sys.argv[1]](*sys.argv[2:])
