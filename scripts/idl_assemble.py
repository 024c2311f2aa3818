#!/usr/bin/env python3
"""Assembles the IDL pieces printed by `cargo test --features idl-build
__anchor_private_print_idl -- --show-output` into one IDL, as anchor-lang-idl's
builder does (address, constants, events and their types, errors, program),
then shortens module paths to names where no two types share a name."""
import json
import re
import sys

lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
address, constants, events, errors, idl = "", [], [], None, None
types = {}
state, buf = None, []
for line in lines:
    if state is None:
        m = re.fullmatch(r"--- IDL begin (\w+) ---", line)
        if m:
            state, buf = m.group(1), []
        continue
    if line == f"--- IDL end {state} ---":
        text = "\n".join(buf)
        if state == "address":
            address = re.sub(r"[^0-9A-Za-z]", "", text)
        elif state == "const":
            constants.append(json.loads(text))
        elif state == "event":
            e = json.loads(text)
            events.append(e["event"])
            for t in e["types"]:
                types[t["name"]] = t
        elif state == "errors":
            errors = json.loads(text)
        elif state == "program":
            idl = json.loads(text)
        state = None
        continue
    buf.append(line)

if idl is None:
    sys.exit("no program IDL in the output")
idl["address"] = address
idl["constants"] = constants
idl["events"] = sorted(events, key=lambda e: e["name"])
idl["errors"] = errors or []
for t in idl.get("types", []):
    types[t["name"]] = t
idl["types"] = [types[k] for k in sorted(types)]

text = json.dumps(idl, indent=2)
# Module paths to plain names where unambiguous.
paths = set(re.findall(r'"((?:\w+::)+)(\w+)"', text))
by_name = {}
for prefix, name in paths:
    by_name.setdefault(name, set()).add(prefix)
for name, prefixes in by_name.items():
    if len(prefixes) == 1:
        (prefix,) = prefixes
        text = text.replace(f'"{prefix}{name}"', f'"{name}"')
print(text)
