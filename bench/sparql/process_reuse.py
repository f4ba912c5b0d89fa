#!/usr/bin/env python3
"""The time of SPARQL queries through `kgrec serve`'s /sparql with a process forked for every
query (`--sparql-process-per-query`) and with query processes kept ready (the default), side by
side in one run.

    bench/sparql/process_reuse.py KGREC STORE [--reps 20] [--rounds 2] QUERY...

A QUERY is a .rq file or the text of a query. Both services run at once on loopback ports;
for each round and query, each service answers the query once to warm up and then --reps
times, the two in turn. Prints the median and the minimum of each, in milliseconds over HTTP
(JSON results), and their ratio.
"""
import argparse, os, statistics, sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from kgrbench import load_average, sparql_ask as ask, sparql_service, stop

ap = argparse.ArgumentParser()
ap.add_argument("kgrec")
ap.add_argument("store")
ap.add_argument("queries", nargs="+")
ap.add_argument("--reps", type=int, default=20)
ap.add_argument("--rounds", type=int, default=2)
a = ap.parse_args()


procs, bases = [], {}
try:
    for name, extra in (("per query", ["--sparql-process-per-query"]), ("kept ready", [])):
        p, bases[name] = sparql_service(a.kgrec, a.store, *extra)
        procs.append(p)
    print("load average at start: %s" % load_average())
    print("%-40s %5s %24s %24s %7s" % ("query", "round", "per query: median (min)",
                                       "kept ready: median (min)", "ratio"))
    for rnd in range(1, a.rounds + 1):
        for q in a.queries:
            text = open(q).read() if q.endswith(".rq") else q
            times, bodies = {n: [] for n in bases}, {}
            for n, base in bases.items():
                bodies[n] = ask(base, text)[1]
            if len(set(bodies.values())) != 1:
                print("%s: the two services answer differently" % q)
                sys.exit(1)
            for _ in range(a.reps):
                for n, base in bases.items():
                    times[n].append(ask(base, text)[0])
            med = {n: statistics.median(t) for n, t in times.items()}
            label = os.path.basename(q) if q.endswith(".rq") else q[:40]
            print("%-40s %5d %15.2f (%6.2f) %15.2f (%6.2f) %7.2f" % (
                label, rnd, med["per query"], min(times["per query"]), med["kept ready"],
                min(times["kept ready"]), med["kept ready"] / med["per query"]))
    print("load average at end: %s" % load_average())
finally:
    stop(procs)
