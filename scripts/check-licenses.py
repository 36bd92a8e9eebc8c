#!/usr/bin/env python3
"""Fails when a Rust dependency can only be used under a GPL-family licence.

The project is MIT OR Apache-2.0; a dependency whose licence expression offers no non-GPL
choice (e.g. actix-governor, GPL-3.0-or-later) would change that.
"""
import json
import re
import subprocess
import sys

meta = json.loads(
    subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--locked"],
        check=True, capture_output=True, text=True,
    ).stdout
)
bad = []
for pkg in meta["packages"]:
    lic = pkg.get("license") or ""
    # Each OR-alternative (split on OR and '/') must be checked: one non-GPL choice is enough.
    choices = [c.strip(" ()") for c in re.split(r"\bOR\b|/", lic)]
    if lic and all(re.search(r"\b(A|L)?GPL", c) for c in choices):
        bad.append(f"{pkg['name']} {pkg['version']}: {lic}")
    if not lic and pkg.get("source"):
        print(f"warning: {pkg['name']} declares no licence field", file=sys.stderr)
if bad:
    print("GPL-only dependencies:\n  " + "\n  ".join(bad), file=sys.stderr)
    sys.exit(1)
print(f"licences ok ({len(meta['packages'])} packages)")
