#!/bin/sh
# Image pipeline benchmark: Swift ImageCodec vs Pillow+numpy on the same fixture files.
# Needs: swift, python3 with pillow and numpy (pip install pillow numpy).
set -e
cd "$(dirname "$0")"
DIR=${1:-/tmp/caslite-imgbench}
N=${2:-200}
swift build -c release --product imgbench >/dev/null
.build/release/imgbench "$DIR" "$N" > "$DIR.swift.jsonl"
python3 pillow_bench.py "$DIR" "$N" > "$DIR.pillow.jsonl"
python3 - "$DIR" <<'PY'
import json, sys
d = sys.argv[1]
rows = [json.loads(l) for f in (d + ".swift.jsonl", d + ".pillow.jsonl") for l in open(f)]
def get(impl, fmt, label):
    return next(r["images_per_s"] for r in rows if r["impl"] == impl and r["format"] == fmt and r["label"] == label)
print(f"{'format':6} {'stage':22} {'swift img/s':>12} {'pillow img/s':>13} {'ratio':>6}")
for fmt in ("png", "jpg"):
    p1 = get("pillow", fmt, "1 thread")
    for r in rows:
        if r["impl"] == "swift" and r["format"] == fmt:
            ref = get("pillow", fmt, "decode only") if r["label"] == "decode only" else p1
            print(f"{fmt:6} {r['label']:22} {r['images_per_s']:12d} {ref:13d} {r['images_per_s'] / ref:6.2f}x")
PY
