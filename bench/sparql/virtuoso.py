#!/usr/bin/env python3
"""kgrec's SPARQL endpoint against Virtuoso (Debian's virtuoso-opensource 7.2) on the same data,
side by side: the same queries, the answers compared, the warm times and their ratio.

    bench/sparql/virtuoso.py KGREC STORE [--queries DIR]... [--reps 5] [--budget 60] [--timeout 300]

STORE is a kgrec snapshot (for example `kgrec load graph.nt --interactions interactions.csv -o
STORE` on the files of `gen_graph --triples 1000000 --seed 1`). Both engines get exactly the
same triples: `kgrec export STORE --format nquads --inferred` (what was loaded, the closures and
the interaction edges kgrec materialises) is bulk-loaded into a Virtuoso database made in a
temporary directory and run on free loopback ports; `kgrec serve STORE` answers on another.
Every query of each DIR (default bench/queries, then bench/sparql/queries: the analysts'
questions) goes to both endpoints over HTTP
(`application/sparql-results+json`), once to warm up, then --reps times, each engine in turn;
a query stops repeating once it has spent --budget seconds. Prints per query the median of
each engine, the ratio kgrec / Virtuoso, and whether the answers agree: the same rows as
multisets (in order where the query has ORDER BY), terms compared exactly except numbers,
which are compared by value (the engines type an AVG differently) within 1e-9 relative; where
they differ, the first row of each that the other lacks is printed. Under an ORDER BY of
variables, rows whose keys tie may come in either order (SPARQL leaves it open): the keys
must come in the same order, and the rows of each tie as the same multiset, except the tie
that a LIMIT (or an OFFSET) cuts, whose members either engine may choose.

Needs virtuoso-opensource (apt-get install virtuoso-opensource; not part of the test
dependencies). Everything it starts is stopped at the end. docs/SPARQL.md gives its figures.
"""
import argparse, glob, json, math, os, re, shutil, socket, statistics, subprocess, sys, tempfile, time
import urllib.error, urllib.parse, urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from kgrbench import free_port, load_average, stop

ap = argparse.ArgumentParser()
ap.add_argument("kgrec")
ap.add_argument("store")
HERE = os.path.dirname(os.path.abspath(__file__))
ap.add_argument("--queries", action="append", help="a folder of .rq files (repeatable)")
ap.add_argument("--reps", type=int, default=5)
ap.add_argument("--budget", type=float, default=60)
ap.add_argument("--timeout", type=float, default=300)
a = ap.parse_args()
for tool in ("virtuoso-t", "isql-vt"):
    if not shutil.which(tool):
        sys.exit("virtuoso.py: %s is not installed (apt-get install virtuoso-opensource)" % tool)

NUMERIC = {"http://www.w3.org/2001/XMLSchema#" + t for t in (
    "integer", "decimal", "double", "float", "int", "long", "short", "byte", "nonNegativeInteger",
    "positiveInteger", "negativeInteger", "nonPositiveInteger", "unsignedInt", "unsignedLong")}


INI = """[Database]
DatabaseFile = {d}/virtuoso.db
ErrorLogFile = {d}/virtuoso.log
LockFile = {d}/virtuoso.lck
TransactionFile = {d}/virtuoso.trx
xa_persistent_file = {d}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase
[TempDatabase]
DatabaseFile = {d}/virtuoso-temp.db
TransactionFile = {d}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0
[Parameters]
ServerPort = 127.0.0.1:{sql}
DisableUnixSocket = 1
MaxClientConnections = 10
CheckpointInterval = 0
CaseMode = 2
DirsAllowed = ., {d}
NumberOfBuffers = 340000
MaxDirtyBuffers = 250000
MaxQueryMem = 2G
ThreadsPerQuery = 2
[HTTPServer]
ServerPort = 127.0.0.1:{http}
ServerRoot = {d}
MaxClientConnections = 4
ServerThreads = 4
[SPARQL]
ResultSetMaxRows = 10000000
MaxQueryCostEstimationTime = 0
MaxQueryExecutionTime = 0
DefaultQuery = select 1 where {{ ?s ?p ?o }} limit 1
"""


def wait_http(url, what, proc, tries=1200):
    for _ in range(tries):
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except Exception:
            if proc.poll() is not None:
                break
            time.sleep(0.1)
    sys.exit("virtuoso.py: %s did not start" % what)


def isql(port, sql):
    r = subprocess.run(["isql-vt", "127.0.0.1:%d" % port, "dba", "dba", "exec=" + sql],
                       capture_output=True, text=True, timeout=a.timeout * 10)
    if r.returncode != 0 or "*** Error" in r.stdout + r.stderr:
        sys.exit("virtuoso.py: isql failed: %s\n%s%s" % (sql, r.stdout[-2000:], r.stderr[-2000:]))
    return r.stdout


def ask(base, query, accept="application/sparql-results+json"):
    """(seconds, parsed JSON) of one query over HTTP GET."""
    url = base + "?" + urllib.parse.urlencode({"query": query})
    req = urllib.request.Request(url, headers={"Accept": accept})
    t = time.monotonic()
    with urllib.request.urlopen(req, timeout=a.timeout) as r:
        body = r.read()
        if r.headers.get("KGrec-Result-Truncated"):
            raise RuntimeError("result cut at kgrec's row limit (%s rows)" % r.headers.get("KGrec-Result-Limit"))
    return time.monotonic() - t, json.loads(body)


def term(t):
    """A term as a comparable value: numbers by value, everything else exactly."""
    kind = t["type"]
    if kind == "typed-literal":  # Virtuoso's older name
        kind = "literal"
    dt = t.get("datatype")
    if kind == "literal" and dt in NUMERIC:
        try:
            return ("num", float(t["value"]))
        except ValueError:
            pass
    return (kind, t["value"], dt or "", t.get("xml:lang", "").lower())


def same_term(x, y):
    if x[0] == "num" and y[0] == "num":
        if math.isnan(x[1]) or math.isnan(y[1]):
            return math.isnan(x[1]) and math.isnan(y[1])
        return x[1] == y[1] or abs(x[1] - y[1]) <= 1e-9 * max(abs(x[1]), abs(y[1]))
    return x == y


def rows(res):
    if "boolean" in res:
        return [(("bool", res["boolean"]),)]
    vs = res["head"]["vars"]
    return [tuple(term(b[v]) if v in b else ("unbound",) for v in vs) for b in res["results"]["bindings"]]


def sort_key(r):
    """Rows sorted by this pair up when equal: numbers enter rounded to 6 significant digits."""
    return repr(tuple(("num", float("%.6g" % t[1])) if t[0] == "num" else t for t in r))


def same_rows(x, y, ordered):
    if len(x) != len(y):
        return False
    if not ordered:
        x, y = sorted(x, key=sort_key), sorted(y, key=sort_key)
    return all(len(r) == len(s) and all(same_term(p, q) for p, q in zip(r, s)) for r, s in zip(x, y))


def order_keys(q):
    """The ORDER BY variables of q as (name, ...), or None when a condition is not a variable."""
    text = re.sub(r"#[^\n]*", "", q)
    m = re.search(r"\border\s+by\b(.*?)(?=\blimit\b|\boffset\b|$)", text, re.I | re.S)
    if not m:
        return None
    clause = m.group(1).strip()
    names = []
    while clause:
        k = re.match(r"(?:(?:asc|desc)\s*\(\s*\?(\w+)\s*\)|\?(\w+))\s*", clause, re.I)
        if not k:
            return None
        names.append(k.group(1) or k.group(2))
        clause = clause[k.end():]
    return tuple(names) or None


def same_ordered(x, y, idx, cut_first, cut_last):
    """Rows in the same key order; each tie the same multiset, except a tie cut by a slice."""
    if len(x) != len(y):
        return False

    def key_same(r, s):
        return all(same_term(r[i], s[i]) for i in idx)

    def ties(rs):
        out = []
        for r in rs:
            if out and key_same(out[-1][-1], r):
                out[-1].append(r)
            else:
                out.append([r])
        return out

    gx, gy = ties(x), ties(y)
    if len(gx) != len(gy):
        return False
    for i, (a, b) in enumerate(zip(gx, gy)):
        if len(a) != len(b) or not key_same(a[0], b[0]):
            return False
        if (i == 0 and cut_first) or (i == len(gx) - 1 and cut_last):
            continue
        if not same_rows(a, b, False):
            return False
    return True


def first_difference(x, y, ordered):
    """The first row of each answer that the other lacks (in the order compared), or '-'."""
    if not ordered:
        x, y = sorted(x, key=sort_key), sorted(y, key=sort_key)
    for r, s in zip(x, y):
        if len(r) != len(s) or not all(same_term(p, q) for p, q in zip(r, s)):
            return repr(r), repr(s)
    n = min(len(x), len(y))
    return (repr(x[n]) if n < len(x) else "-"), (repr(y[n]) if n < len(y) else "-")


def timed(base, q, label):
    try:
        return ask(base, q)
    except urllib.error.HTTPError as e:
        return None, "%s: HTTP %d %s" % (label, e.code, e.read()[:300].decode("utf-8", "replace"))
    except Exception as e:  # a time-out or a refused connection
        return None, "%s: %s" % (label, e)


def main(tmp):
    vdir = os.path.join(tmp, "virtuoso")
    os.makedirs(vdir)
    data = os.path.join(vdir, "data.nq")
    t0 = time.monotonic()
    subprocess.run([a.kgrec, "export", a.store, "--format", "nquads", "--inferred", "-o", data], check=True)
    print("exported %s as N-Quads (%d MB) in %.1f s" % (a.store, os.path.getsize(data) >> 20,
                                                         time.monotonic() - t0))
    sqlp, httpp, kport = free_port(), free_port(), free_port()
    with open(os.path.join(vdir, "virtuoso.ini"), "w") as f:
        f.write(INI.format(d=vdir, sql=sqlp, http=httpp))
    procs = []
    try:
        v = subprocess.Popen(["virtuoso-t", "+foreground", "+configfile", os.path.join(vdir, "virtuoso.ini")],
                             cwd=vdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(v)
        vbase = "http://127.0.0.1:%d/sparql" % httpp
        wait_http(vbase + "?query=" + urllib.parse.quote("ASK {}"), "virtuoso", v)
        t0 = time.monotonic()
        isql(sqlp, "ld_dir('%s', 'data.nq', 'urn:kgrec:default'); rdf_loader_run(); checkpoint;" % vdir)
        n = isql(sqlp, "SPARQL SELECT COUNT(*) WHERE { GRAPH ?g { ?s ?p ?o } };")
        ver = isql(sqlp, "SELECT sys_stat('st_dbms_ver');")
        print("Virtuoso %s: bulk load %.1f s, %s quads" % (
            (re.findall(r"^\s*(\d+\.\d+\.\d+\S*)\s*$", ver, re.M) or ["?"])[0], time.monotonic() - t0,
            (re.findall(r"^\s*(\d+)\s*$", n, re.M) or ["?"])[0]))
        k = subprocess.Popen([a.kgrec, "serve", a.store, "--listen", "127.0.0.1:%d" % kport,
                              "--sparql-timeout", str(int(a.timeout * 1000)), "--sparql-max-rows", "100000000"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(k)
        kbase = "http://127.0.0.1:%d/sparql" % kport
        wait_http("http://127.0.0.1:%d/readyz" % kport, "kgrec serve", k)
        print("load average at start: %s" % load_average())
        print("%-36s %12s %12s %8s  %s" % ("query", "kgrec ms", "Virtuoso ms", "ratio", "answers"))
        disagree = 0
        dirs = a.queries or [os.path.join(HERE, "..", "queries"), os.path.join(HERE, "queries")]
        for path in [p for d in dirs for p in sorted(glob.glob(os.path.join(d, "*.rq")))]:
            disagree += run_query(path, kbase, vbase)
        print("load average at end: %s" % load_average())
        return 1 if disagree else 0
    finally:
        stop(procs, grace=60)


def run_query(path, kbase, vbase):
    """Prints one line for the query; returns 1 when the answers disagree or one failed."""
    name = os.path.basename(path)[:-3]
    q = open(path).read()
    ordered = re.search(r"\border\s+by\b", re.sub(r"#[^\n]*", "", q), re.I) is not None
    tk, rk = timed(kbase, q, "kgrec")
    tv, rv = timed(vbase, q, "Virtuoso")
    if tk is None or tv is None:
        print("%-36s %12s %12s %8s  failed: %s" % (name, "-", "-", "-", rk if tk is None else rv))
        return 1
    keys = order_keys(q) if ordered else None
    head = rk.get("head", {}).get("vars", [])
    if keys and all(k in head for k in keys):
        text = re.sub(r"#[^\n]*", "", q)
        limit = re.search(r"\blimit\s+(\d+)", text, re.I)
        cut_last = limit is not None and len(rows(rk)) == int(limit.group(1))
        cut_first = re.search(r"\boffset\s+[1-9]", text, re.I) is not None
        agree = same_ordered(rows(rk), rows(rv), [head.index(k) for k in keys], cut_first, cut_last)
    else:
        agree = same_rows(rows(rk), rows(rv), ordered)
    times = {"k": [], "v": []}
    spent = tk + tv
    for _ in range(a.reps):
        if spent > a.budget and len(times["k"]) >= 1:
            break
        for key, base in (("k", kbase), ("v", vbase)):
            t, _ = ask(base, q)
            times[key].append(t)
            spent += t
    mk, mv = statistics.median(times["k"]) * 1000, statistics.median(times["v"]) * 1000
    print("%-36s %12.1f %12.1f %8.2f  %s (%d rows; %d runs)" % (
        name, mk, mv, mk / mv if mv > 0 else float("inf"),
        "agree" if agree else "DIFFER (kgrec %d rows, Virtuoso %d)" % (len(rows(rk)), len(rows(rv))),
        len(rows(rk)), len(times["k"])))
    if not agree:
        print("  first difference: kgrec %s, Virtuoso %s" % first_difference(rows(rk), rows(rv), ordered))
    return 0 if agree else 1


tmp = tempfile.mkdtemp(prefix="kgrec-virtuoso.")
try:
    sys.exit(main(tmp))
finally:
    shutil.rmtree(tmp, ignore_errors=True)
