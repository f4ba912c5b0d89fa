#!/usr/bin/env python3
"""How the time of SPARQL queries through `kgrec serve`'s /sparql grows from one store to a
larger one, both measured side by side in one run.

    bench/sparql/growth.py KGREC SMALL.snap LARGE.snap [--reps 15] [--rounds 3] [QUERY...]

A QUERY is a .rq file or a directory of them (default: bench/queries and bench/sparql/queries).
Both services run at once on loopback ports; for each round and query, each answers the query
twice to warm up and then --reps times, the two in turn, so that whatever else the machine
does falls on both alike. Prints the triples of each store and their ratio (the data's
growth), then for each query the median time on each store (ms, over HTTP, JSON results), the
growth of the median in each round and over all rounds, and whether that growth is within the
data's. The exit status is 1 when a query grew faster than the data over all rounds.
"""
import argparse, glob, json, os, statistics, subprocess, sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from kgrbench import load_average, sparql_ask as ask, sparql_service, stop

here = os.path.dirname(os.path.abspath(__file__))
ap = argparse.ArgumentParser()
ap.add_argument("kgrec")
ap.add_argument("small")
ap.add_argument("large")
ap.add_argument("queries", nargs="*",
                default=[os.path.join(here, "..", "queries"), os.path.join(here, "queries")])
ap.add_argument("--reps", type=int, default=15)
ap.add_argument("--rounds", type=int, default=3)
a = ap.parse_args()

files = []
for q in a.queries:
    files += sorted(glob.glob(os.path.join(q, "*.rq"))) if os.path.isdir(q) else [q]


def triples(store):
    out = subprocess.run([a.kgrec, "stats", store, "--json"], check=True, capture_output=True).stdout
    return json.loads(out)["triples"]


sizes = {"small": triples(a.small), "large": triples(a.large)}
data = sizes["large"] / sizes["small"]
print("triples: %d and %d, the data grows x%.2f" % (sizes["small"], sizes["large"], data))
procs, bases = [], {}
slower = 0
try:
    for name, store in (("small", a.small), ("large", a.large)):
        p, bases[name] = sparql_service(a.kgrec, store)
        procs.append(p)
    print("load average at start: %s" % load_average())
    times = {(q, n): [] for q in files for n in bases}
    growth = {q: [] for q in files}
    for rnd in range(a.rounds):
        for q in files:
            text = open(q).read()
            this = {n: [] for n in bases}
            for n, base in bases.items():
                ask(base, text)
                ask(base, text)
            for _ in range(a.reps):
                for n, base in bases.items():
                    this[n].append(ask(base, text)[0])
            for n in bases:
                times[(q, n)] += this[n]
            growth[q].append(statistics.median(this["large"]) / statistics.median(this["small"]))
    print("%-40s %10s %10s  %-22s %7s" % ("query", "small ms", "large ms", "growth by round", "growth"))
    for q in files:
        s, l = statistics.median(times[(q, "small")]), statistics.median(times[(q, "large")])
        g = l / s
        slower += g > data
        print("%-40s %10.2f %10.2f  %-22s %6s  %s" % (
            os.path.basename(q)[:40], s, l, " ".join("x%.1f" % x for x in growth[q]), "x%.2f" % g,
            "within the data's" if g <= data else "FASTER THAN THE DATA"))
    print("load average at end: %s" % load_average())
finally:
    stop(procs)
sys.exit(1 if slower else 0)
