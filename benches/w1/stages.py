#!/usr/bin/env python3
"""CPU seconds by stage of one `ironrule audit`, from a perf profile with call graphs.

    perf record -F 299 --call-graph=dwarf,16384 -o perf.data \
        target/release/ironrule audit --project /tmp/peers/data/ironrule.toml \
        /tmp/peers/data/parcels_1m.fgb --id-field id --out /tmp/o --fail-on never --quiet \
        --findings-layer none
    perf script -i perf.data -F comm,tid,ip,sym > stacks.txt
    python3 benches/w1/stages.py stacks.txt 299

Each sample goes to one stage: the read-ahead thread's and the writer thread's samples by
thread, the workers' by the innermost frame that names a stage (generic arguments stripped, so
that a type named in a closure's parameters does not count); the rest is the kernel, the
allocator and rayon. Seconds are samples / frequency. On a shared 2-core machine one profile
varies by about 20 % from the next: compare stages within a profile, or over several.
"""
import collections
import re
import sys

# (stage, markers): the innermost frame holding a marker decides.
STAGES = [
    ("validating geometry", ["geom::validate"]),
    ("overlap tests (R1)", ["engine::overlap"]),
    ("setback tests (R2, R3)", ["engine::setback", "geom::nearest"]),
    ("within tests (R4)", ["engine::within"]),
    ("wording + CSV rows", ["report::csv", "engine::finding::", "template::Template",
                            "report::Cells", "model::fmt_num", "model::push_fixed"]),
    ("findings layer: reprojecting", ["crs::transform"]),
    ("findings layer: serialising", ["report::geojson"]),
    ("assembling (id, validation call, transform)", ["io::Prep::assemble"]),
    ("evaluate, the rest (filters, footprint)", ["engine::evaluate::", "rules::filter",
                                                  "Footprint"]),
    ("check_one, the rest (drops)", ["audit::check_one"]),
    ("loading the project", ["Checker::load", "project::Project", "ZoneLayer::build"]),
]


def bare(frame: str) -> str:
    """A frame's name without its generic arguments."""
    for _ in range(8):
        shorter = re.sub(r"<[^<>]*>", "", frame)
        if shorter == frame:
            break
        frame = shorter
    return frame


def stage(comm: str, frames: list) -> str:
    if comm == "ironrule-read":
        return "reading (read-ahead thread)"
    if any("short_backtrace<ironrule::audit::sweep::" in f for f in frames):
        return "writer thread (settle, ids, counts, write)"
    for f in map(bare, frames):
        for name, markers in STAGES:
            if any(m in f for m in markers):
                return name
    return "kernel, allocator, rayon, other"


def main() -> None:
    path, hz = sys.argv[1], float(sys.argv[2])
    counts = collections.Counter()
    for sample in open(path, encoding="utf-8", errors="replace").read().split("\n\n"):
        lines = sample.strip().split("\n")
        if len(lines) < 2:
            continue
        comm = lines[0].split()[0]
        frames = [line.strip().split(" ", 1)[-1] for line in lines[1:]]
        counts[stage(comm, frames)] += 1
    print("| stage | CPU |\n|---|---:|")
    for name, n in counts.most_common():
        print(f"| {name} | {n / hz:.2f} s |")
    print(f"| total | {sum(counts.values()) / hz:.2f} s |")


if __name__ == "__main__":
    main()
