#!/usr/bin/env python3
"""The shared events log's cost and latency, against the file log, side by side.

    bench/pg-events.py KGREC STORE [--rate 100] [--seconds 10] [--rounds 3]

Starts a temporary PostgreSQL cluster (Debian's server programs; as the postgres user when
run as root) on a free loopback port, `kgrec db init`, and per round:

- visibility: two replicas `kgrec serve STORE --events URL`; a client posts one event a
  request to replica A at --rate events per second, each for a new user, while a poller reads
  replica B's /metrics every 2 ms; an event is visible on B when B's applied count covers it.
  Prints p50, p99 and max of (visible on B - posted to A).
- cost: the same events posted one after the other as fast as they are answered, to one
  replica on the database and to one on a file log (--events-log in a temporary directory),
  alternating; prints the median reply time of each and their ratio (database / file).

Everything it starts is stopped at the end. docs/BENCHMARKS.md gives its figures.
"""
import argparse, os, statistics, subprocess, sys, threading, time
import json, urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kgrbench

ap = argparse.ArgumentParser()
ap.add_argument("kgrec")
ap.add_argument("store")
ap.add_argument("--rate", type=float, default=100)
ap.add_argument("--seconds", type=float, default=10)
ap.add_argument("--rounds", type=int, default=3)
ap.add_argument("--cost-events", type=int, default=500)
a = ap.parse_args()
procs = []

def serve(*args):
    p, base = kgrbench.serve(a.kgrec, a.store, *args)
    procs.append(p)
    return p, base

def stop(p):
    p.terminate(); p.wait(); procs.remove(p)

def post(base, user, item):
    body = json.dumps({"user": user, "item": item, "time": 1718000000}).encode()
    with urllib.request.urlopen(urllib.request.Request(base + "/v1/events", body), timeout=30) as r:
        r.read()
        return r.status

def applied(base):
    with urllib.request.urlopen(base + "/metrics", timeout=5) as r:
        for line in r.read().decode().splitlines():
            if line.startswith("kgrec_events_applied_total "):
                return int(line.split()[1])
    return 0

def pct(v, q):
    v = sorted(v); return v[min(len(v) - 1, int(q * len(v)))]

def visibility(url, rnd, item):
    pa, A = serve("--events", url)
    pb, B = serve("--events", url)
    base = applied(B)
    n = int(a.rate * a.seconds)
    sent = [None] * n
    seen = [None] * n
    done = threading.Event()
    def poll():
        while not done.is_set():
            k = applied(B) - base
            now = time.monotonic()
            for i in range(min(k, n)):
                if seen[i] is None:
                    seen[i] = now
            if k >= n:
                return
            time.sleep(0.002)
    t = threading.Thread(target=poll); t.start()
    t0 = time.monotonic()
    for i in range(n):
        at = t0 + i / a.rate
        d = at - time.monotonic()
        if d > 0:
            time.sleep(d)
        sent[i] = time.monotonic()
        post(A, "vis%d_%d" % (rnd, i), item)
    t.join(timeout=30); done.set()
    stop(pa); stop(pb)
    lat = [(s - p) * 1000 for p, s in zip(sent, seen) if s is not None]
    return lat, n - len(lat)

def cost(url, tmp, rnd, item):
    pd, D = serve("--events", url)
    pf, F = serve("--events-log", "%s/file%d.log" % (tmp, rnd))
    td, tf = [], []
    for i in range(a.cost_events):
        for base, out, tag in ((D, td, "d"), (F, tf, "f")):
            t = time.monotonic()
            post(base, "cost%s%d_%d" % (tag, rnd, i), item)
            out.append((time.monotonic() - t) * 1000)
    stop(pd); stop(pf)
    return statistics.median(td), statistics.median(tf)

def main(url, tmp):
    subprocess.run([a.kgrec, "db", "init", url], check=True, stdout=subprocess.DEVNULL)
    p, base = serve()
    item = kgrbench.an_item(base)
    stop(p)
    print("load average at start: %s" % " ".join(open("/proc/loadavg").read().split()[:3]))
    for rnd in range(a.rounds):
        lat, lost = visibility(url, rnd, item)
        print("round %d visibility on the other replica at %g events/s: p50 %.1f ms, p99 %.1f ms, "
              "max %.1f ms (%d events, %d not seen)" % (rnd + 1, a.rate, pct(lat, 0.5), pct(lat, 0.99),
                                                       max(lat), len(lat), lost))
        d, f = cost(url, tmp, rnd, item)
        print("round %d one event a request: database %.2f ms, file log %.2f ms (median of %d): "
              "ratio %.2f" % (rnd + 1, d, f, a.cost_events, d / f))
    print("load average at end: %s" % " ".join(open("/proc/loadavg").read().split()[:3]))

with kgrbench.Cluster("kgrec-pg-bench.") as pg:
    try:
        main(pg.url, pg.tmp)
    finally:
        for p in list(procs):
            p.kill(); p.wait()
