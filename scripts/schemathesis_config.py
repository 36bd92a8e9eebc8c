#!/usr/bin/env python3
"""Writes the schemathesis configuration for scripts/schemathesis.sh from the running demo school.

Random UUIDs only ever reach the "not found" branch of an operation. So the ids the fuzzer
sends come from the demo school itself: every list the office can read is fetched (and the
records they name, one level down), the ids are grouped by the record type the spec gives them,
and each path parameter (`/students/{id}`), query parameter and body field (`class_id`,
`student_id`, `attachment_ids[*]`, ...) is bound to the ids of its record type. Which record
type a parameter holds is read from the spec, as `add_links` in backend/src/openapi.rs does:
`/things/{id}` holds what its operations answer, `thing_id` holds a thing.

Records the fuzzer must not touch are left out: the accounts it signs in with and the
integration key it uses, so that no identity disables another halfway through the run.

usage: schemathesis_config.py SPEC BASE_URL OFFICE_TOKEN OUT.toml [skip-id ...]
       schemathesis_config.py --identity SPEC ROLE|key|anonymous   (prints that identity's part)
"""

import json
import os
import re
import sys
import urllib.request

METHODS = ("get", "put", "post", "delete", "patch")
# Who tests each operation's examples and coverage phases (the deterministic, role-independent
# checks of what the spec promises): the first identity in this order allowed to call it.
OWNERS = ("security_office", "principal", "class_teacher", "guard", "safety_officer", "key", "anonymous")


def allowed(op, who):
    """Whether the identity (a role name, `key` or `anonymous`) may call the operation."""
    for req in op.get("security") or [{}]:
        if not req and who == "anonymous":
            return True
        if who == "key" and "api_key" in req or who in req.get("bearer", []):
            return True
    return False


def identity_section(spec, who):
    """Per identity: operations it may not call are left out (they answer 401/403, which the
    role matrix test proves for every route); the examples and coverage phases run once per
    operation, as its owner; fuzzing and stateful chains run for every identity allowed."""
    off, owned, others = [], [], []
    for path, item in spec["paths"].items():
        for method in METHODS:
            op = item.get(method)
            if not op:
                continue
            op_id = op["operationId"]
            if not allowed(op, who):
                off.append(op_id)
            elif next(o for o in OWNERS if allowed(op, o)) == who:
                owned.append(op_id)
            else:
                others.append(op_id)
    out = []
    if off:
        out += ["[[operations]]", f"include-operation-id = {json.dumps(off)}", "enabled = false", ""]
    if others:
        out += [
            "[[operations]]",
            f"include-operation-id = {json.dumps(others)}",
            "phases.examples.enabled = false",
            "phases.coverage.enabled = false",
            "",
        ]
    return "\n".join(out)


if sys.argv[1] == "--identity":
    _, _, spec_path, who = sys.argv
    print(identity_section(json.load(open(spec_path)), who))
    sys.exit(0)

spec_path, base, token, out_path, *skip = sys.argv[1:]
skip = set(skip)
spec = json.load(open(spec_path))
schemas = spec["components"]["schemas"]
# Most generated values come from the demo school; the rest stay random, so that the
# "no such record" answers keep being exercised too.
PROBABILITY = 0.8


def ref_name(schema):
    ref = schema.get("$ref", "") if isinstance(schema, dict) else ""
    return ref.rsplit("/", 1)[-1] if ref.startswith("#/components/schemas/") else None


def json_schema(op, status):
    content = op.get("responses", {}).get(status, {}).get("content", {})
    return content.get("application/json", {}).get("schema")


def split(path):
    """`/api/v1/things/{id}/verb` -> (`/api/v1/things`, `id`, `/verb`)."""
    m = re.match(r"^(.*?)/\{([^}]+)\}(.*)$", path)
    return m.groups() if m else None


def last_segment(path):
    return [s for s in path.split("/") if s and not s.startswith("{")][-1]


def get(path):
    req = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(req, timeout=20) as resp:
            if not resp.headers.get("Content-Type", "").startswith("application/json"):
                return None
            return json.load(resp)
    except Exception:  # a list this role may not read, or one that needs parameters
        return None


# --- which record types each collection holds -------------------------------------------
collections = {}  # collection path -> {"params": set, "paths": set, "types": set}
for path, item in spec["paths"].items():
    parts = split(path)
    for method in METHODS:
        op = item.get(method)
        if not op:
            continue
        if parts:
            coll, param, rest = parts
            c = collections.setdefault(coll, {"paths": set(), "types": set()})
            c["paths"].add(path)
            if rest == "" or rest.count("/") == 1 and "{" not in rest:
                name = ref_name(json_schema(op, "200"))
                if name:
                    c["types"].add(name)
        else:
            name = ref_name(json_schema(op, "201"))
            if name:
                collections.setdefault(path, {"paths": set(), "types": set()})["types"].add(name)


def id_type(name):
    """The schema that owns the `id` of a response schema (a check-in holds a visitor)."""
    s = schemas.get(name, {})
    if "id" in s.get("properties", {}):
        return name
    for part in s.get("allOf", []):
        base_name = ref_name(part)
        if base_name and "id" in schemas.get(base_name, {}).get("properties", {}):
            return base_name
    return None


for coll, c in collections.items():
    c["types"] = {t for t in map(id_type, c["types"]) if t}
    if not c["types"]:
        # `/duty/shifts/{id}` answers nothing with a body: `ShiftResponse` by its name.
        singular = re.sub(r"(ss|ch|sh)es$", r"\1", last_segment(coll)).rstrip("s")
        guess = "".join(w.capitalize() for w in re.split(r"[-_]", singular)) + "Response"
        if guess in schemas:
            c["types"].add(guess)

# --- the demo school's ids, by record type ----------------------------------------------
ids = {}


def resolve(schema):
    while isinstance(schema, dict) and "$ref" in schema:
        schema = schemas.get(ref_name(schema), {})
    return schema if isinstance(schema, dict) else {}


# Generic pages (`Page_StudentResponse`) hold their items' schema inline: name it by equality.
INLINE = {json.dumps(s, sort_keys=True): name for name, s in schemas.items()}


def harvest(value, schema, depth=0):
    if depth > 12 or not isinstance(schema, dict):
        return
    name = ref_name(schema) or INLINE.get(json.dumps(schema, sort_keys=True))
    schema = resolve(schema)
    variants = schema.get("allOf", []) + schema.get("oneOf", []) + schema.get("anyOf", [])
    for v in variants:
        harvest(value, v, depth + 1)
    if isinstance(value, list):
        for x in value:
            harvest(x, schema.get("items", {}), depth + 1)
    elif isinstance(value, dict):
        if name and isinstance(value.get("id"), str):
            ids.setdefault(name, set()).add(value["id"])
        for k, v in value.items():
            harvest(v, schema.get("properties", {}).get(k, {}), depth + 1)


fetched = set()
for path, item in spec["paths"].items():
    op = item.get("get")
    if op and "{" not in path and json_schema(op, "200"):
        body = get(path)
        if body is not None:
            harvest(body, json_schema(op, "200"))
            fetched.add(path)
# One level down: a plan's items, a roster's shifts, a patrol's route ...
for coll, c in sorted(collections.items()):
    detail = coll + "/{id}"
    op = spec["paths"].get(detail, {}).get("get")
    if not op or not json_schema(op, "200"):
        continue
    known = sorted(set().union(*(ids.get(t, set()) for t in c["types"])))
    for record_id in known[:5]:
        body = get(coll + "/" + record_id)
        if body is not None:
            harvest(body, json_schema(op, "200"))

# --- the configuration ------------------------------------------------------------------
dictionaries = {}
for coll, c in sorted(collections.items()):
    values = sorted(set().union(*(ids.get(t, set()) for t in c["types"])) - skip) if c["types"] else []
    if values:
        dictionaries[coll] = values


def collection_for_field(field):
    """`class_id` -> `/api/v1/classes`; `owner_id` -> users; `attachment_ids` -> attachments."""
    record = re.sub(r"_ids?$", "", field)
    record = {"owner": "user", "class_teacher": "user", "target_user": "user", "actor_user": "user"}.get(
        record, record
    )
    record = record.replace("_", "-")
    for coll in sorted(dictionaries, key=len):
        seg = last_segment(coll)
        for plural in (record + "s", record + "es"):
            if seg == plural or seg.endswith("-" + plural):
                return coll
    return None


def toml_str(s):
    return json.dumps(s, ensure_ascii=False)


lines = [
    "# Generated by scripts/schemathesis_config.py from the running demo school: do not edit.",
    "",
    # Here rather than on the command line, where it would override the stateful phase's own.
    f"generation.max-examples = {int(os.environ.get('ST_MAX_EXAMPLES', '5'))}",
    "",
    "[phases.stateful]",
    f"generation.max-examples = {int(os.environ.get('ST_STATEFUL_EXAMPLES', '40'))}",
    "",
    # The script signs in itself; schemathesis must not try to register accounts.
    "[auth]",
    "auto-signup = false",
    "",
]
for coll, values in dictionaries.items():
    lines.append(f"[dictionaries.{toml_str(coll)}]")
    lines.append("values = [" + ", ".join(toml_str(v) for v in values) + "]")
lines.append("")

# Fields named after a record, wherever they appear (path, query, top-level body field).
fields = set()
for path, item in spec["paths"].items():
    for method in METHODS:
        op = item.get(method)
        if not op:
            continue
        for p in op.get("parameters", []):
            if p["in"] in ("query", "path") and re.search(r"_ids?$", p["name"]):
                fields.add((p["in"], p["name"]))
        body = resolve(
            op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
        )
        for name, prop in body.get("properties", {}).items():
            if re.search(r"_ids?$", name):
                is_list = resolve(prop).get("type") == "array"
                fields.add(("body", name + ("[*]" if is_list else "")))
lines.append("[parameters]")
for location, name in sorted(fields):
    coll = collection_for_field(name.removesuffix("[*]"))
    if coll:
        key = f"{location}.{name}"
        lines.append(f"{toml_str(key)} = {{ dictionary = {toml_str(coll)}, probability = {PROBABILITY} }}")
lines.append("")

# `{id}` means a different record on each collection's paths.
for coll, c in sorted(collections.items()):
    if coll not in dictionaries:
        continue
    for path in sorted(c["paths"]):
        param = split(path)[1]
        lines.append("[[operations]]")
        lines.append(f"include-path = {toml_str(path)}")
        lines.append(
            f"parameters = {{ {toml_str('path.' + param)} = {{ dictionary = {toml_str(coll)}, "
            f"probability = {PROBABILITY} }} }}"
        )
        lines.append("")

open(out_path, "w").write("\n".join(lines))
summary = ", ".join(f"{last_segment(c)} {len(v)}" for c, v in dictionaries.items())
print(f"demo ids: {summary}")
missing = sorted(last_segment(c) for c in collections if c not in dictionaries)
if missing:
    print(f"no demo ids for: {', '.join(missing)}")
