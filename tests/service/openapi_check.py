#!/usr/bin/python3
"""docs/openapi.yaml against the encoders: for each endpoint that has a `--json` twin, the JSON
the CLI prints has exactly the properties the response schema documents (recursively, through
$refs, objects and the first item of arrays), so that neither the docs nor the code can drift.

usage: openapi_check.py SPHERE_BINARY OPENAPI_YAML"""
import json
import subprocess
import sys

import yaml

# (command line, path): the same request to both front ends.
PAIRS = [
    ("network --carrier gas --cut scp-east --json", "/api/network/whatif"),
    ("leverage --json", "/api/leverage"),
    ("timeline --actor AZE --from 2024 --json", "/api/timeline"),
    ("forecast --runs 20 --horizon 2026-03 --json", "/api/forecasts/{id}#result"),
    ("scenarios --runs 200 --draws 4 --horizon 2026-03 --json", "/api/scenarios"),
    ("bargain --draws 20 --json", "/api/bargain"),
    ("events series --dyad RUS:AZE --json", "/api/series"),
    ("network links --json", "/api/network/links"),
    ("network n1 --json", "/api/network/n1"),
]


def resolve(spec, schema):
    while "$ref" in schema:
        node = spec
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def compare(spec, schema, value, where, problems):
    schema = resolve(spec, schema)
    if schema.get("type") == "array" and isinstance(value, list):
        if value and "items" in schema:
            compare(spec, schema["items"], value[0], where + "[0]", problems)
        return
    if isinstance(value, dict) and "properties" in schema:
        documented, produced = set(schema["properties"]), set(value)
        for key in sorted(produced - documented):
            problems.append(f"{where}.{key}: produced but not documented")
        for key in sorted(documented - produced):
            problems.append(f"{where}.{key}: documented but not produced")
        for key in sorted(documented & produced):
            compare(spec, schema["properties"][key], value[key], f"{where}.{key}", problems)


def response_schema(spec, path):
    path, _, member = path.partition("#")
    operation = spec["paths"][path]["get"]
    schema = resolve(spec, operation["responses"]["200"]["content"]["application/json"]["schema"])
    if member:
        schema = resolve(spec, schema["properties"][member])
    return schema


def main():
    binary, openapi = sys.argv[1], sys.argv[2]
    with open(openapi, encoding="utf-8") as f:
        spec = yaml.safe_load(f)
    problems = []
    for args, path in PAIRS:
        out = subprocess.run([binary] + args.split(), capture_output=True, text=True)
        if out.returncode != 0 and "absent" in out.stderr:
            print(f"{path}: skipped, its data are absent ({out.stderr.strip()[:200]})")
            continue
        out.check_returncode()
        compare(spec, response_schema(spec, path), json.loads(out.stdout), path, problems)
    for p in problems:
        print(p)
    print(f"{len(PAIRS)} endpoints checked, {len(problems)} differences")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
