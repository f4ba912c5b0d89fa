#!/usr/bin/env python3
"""The events table's growth in bytes a row, as the service writes it.

    bench/pg-table-size.py KGREC STORE [--rows 200000] [--batch 5000]

Starts a temporary PostgreSQL cluster (Debian's server programs; as the postgres user when
run as root) on a free loopback port, `kgrec db init`, one `kgrec serve STORE --events URL`,
and posts --rows events to it in batches of --batch (POST /v1/events; 5,000 keep a request
  under the default --max-body of 1 MB), each for a user of its
own whose IRI is 41 bytes long (https://w3id.org/kgrec/user/u000000000001), all for one of
the catalog's products. Then prints the table's size before and after (heap, primary key,
TOAST, and pg_total_relation_size, after VACUUM ANALYZE), and the growth divided by the rows.

Everything it starts is stopped at the end. docs/BENCHMARKS.md gives its figures.
"""
import argparse, json, os, subprocess, sys, time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kgrbench

ap = argparse.ArgumentParser()
ap.add_argument("kgrec")
ap.add_argument("store")
ap.add_argument("--rows", type=int, default=200000)
ap.add_argument("--batch", type=int, default=5000)
a = ap.parse_args()
url = None

def sql(q):
    return subprocess.run(["psql", url, "-Atqc", q], check=True, capture_output=True,
                          text=True).stdout.strip()

SIZES = ("select pg_relation_size('kgrec_events'), pg_indexes_size('kgrec_events'), "
         "coalesce(pg_total_relation_size(reltoastrelid), 0), pg_total_relation_size('kgrec_events') "
         "from pg_class where oid = 'kgrec_events'::regclass")

def sizes():
    sql("VACUUM ANALYZE kgrec_events")
    return [int(x) for x in sql(SIZES).split("|")]

def main():
    subprocess.run([a.kgrec, "db", "init", url], check=True, stdout=subprocess.DEVNULL)
    print("PostgreSQL: %s" % sql("show server_version"))
    proc, base = kgrbench.serve(a.kgrec, a.store, "--events", url)
    try:
        measure(base)
    finally:
        proc.terminate(); proc.wait()

def measure(base):
    item = kgrbench.an_item(base)
    before = sizes()
    t0 = time.monotonic()
    for start in range(0, a.rows, a.batch):
        evs = [{"user": "https://w3id.org/kgrec/user/u%012d" % i, "item": item, "time": 1718000000 + i}
               for i in range(start, min(a.rows, start + a.batch))]
        body = json.dumps({"events": evs}).encode()
        with urllib.request.urlopen(urllib.request.Request(base + "/v1/events", body), timeout=300) as r:
            r.read()
    took = time.monotonic() - t0
    rows = int(sql("select count(*) from kgrec_events"))
    after = sizes()
    print("%d rows posted in %.1f s; user IRIs of %d bytes, the item %s (%d bytes), the action %s"
          % (rows, took, len("https://w3id.org/kgrec/user/u%012d" % 0), item, len(item),
             sql("select action from kgrec_events limit 1")))
    for name, b, c in zip(("heap", "primary key", "TOAST", "total"), before, after):
        print("%-12s %12d -> %12d bytes: %.1f bytes a row" % (name, b, c, (c - b) / rows))

with kgrbench.Cluster("kgrec-pg-size.") as pg:
    url = pg.url
    main()
