"""Parses JSON from stdin with Python's parser (so invalid JSON fails the
test) and prints `PATH = VALUE` for each PATH argument, VALUE re-encoded as
compact JSON; a PATH is keys and list indexes joined by dots
("components.0.name"). Used by lit tests of `kiln inspect --json`."""
import json
import sys

doc = json.load(sys.stdin)
for path in sys.argv[1:]:
    v = doc
    for part in path.split("."):
        v = v[int(part)] if isinstance(v, list) else v[part]
    print(f"{path} = {json.dumps(v, ensure_ascii=True)}")
