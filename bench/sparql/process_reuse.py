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
import argparse, os, statistics, subprocess, sys, time, urllib.parse, urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from kgrbench import free_port

ap = argparse.ArgumentParser()
ap.add_argument("kgrec")
ap.add_argument("store")
ap.add_argument("queries", nargs="+")
ap.add_argument("--reps", type=int, default=20)
ap.add_argument("--rounds", type=int, default=2)
a = ap.parse_args()


def ask(base, text):
    data = urllib.parse.urlencode({"query": text}).encode()
    t0 = time.monotonic()
    with urllib.request.urlopen(urllib.request.Request(
            base, data=data, headers={"Accept": "application/sparql-results+json"})) as r:
        body = r.read()
    return (time.monotonic() - t0) * 1000, body


def wait_ready(port, proc):
    for _ in range(600):
        if proc.poll() is not None:
            sys.exit("kgrec serve ended with status %d" % proc.returncode)
        try:
            urllib.request.urlopen("http://127.0.0.1:%d/readyz" % port).read()
            return
        except Exception:
            time.sleep(0.2)
    sys.exit("kgrec serve not ready after 120 s")


procs, bases = [], {}
try:
    for name, extra in (("per query", ["--sparql-process-per-query"]), ("kept ready", [])):
        port = free_port()
        p = subprocess.Popen([a.kgrec, "serve", a.store, "--listen", "127.0.0.1:%d" % port,
                              "--sparql-max-rows", "100000000"] + extra,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(p)
        wait_ready(port, p)
        bases[name] = "http://127.0.0.1:%d/sparql" % port
    print("load average at start: %s" % " ".join(open("/proc/loadavg").read().split()[:3]))
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
    print("load average at end: %s" % " ".join(open("/proc/loadavg").read().split()[:3]))
finally:
    for p in procs:
        p.terminate()
    for p in procs:
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
