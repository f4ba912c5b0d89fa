"""What the PostgreSQL benchmarks share: a free loopback port, a temporary PostgreSQL cluster
(Debian's server programs; as the postgres user when run as root), a `kgrec serve` that is
answering, and a product of the store to post events for.

    import kgrbench
    with kgrbench.Cluster("kgrec-pg-bench.") as pg:   # pg.url, pg.tmp; stopped on exit
        p, base = kgrbench.serve(KGREC, STORE, "--events", pg.url)
"""
import glob, json, os, shutil, socket, subprocess, tempfile, time
import urllib.parse, urllib.request

os.environ["no_proxy"] = os.environ["NO_PROXY"] = "127.0.0.1,localhost"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Cluster:
    """A PostgreSQL cluster in a temporary directory on a free loopback port, user kgrec."""

    def __init__(self, prefix):
        self.tmp = tempfile.mkdtemp(prefix=prefix)
        self.bin = sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1]
        self.as_pg = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
        if os.getuid() == 0:
            shutil.chown(self.tmp, "postgres")
        self.port = free_port()
        self.url = "postgresql://kgrec@127.0.0.1:%d/postgres" % self.port

    def __enter__(self):
        try:
            subprocess.run(self.as_pg + [self.bin + "/initdb", "-D", self.tmp + "/pg", "-A", "trust",
                                         "-U", "kgrec"],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            subprocess.run(self.as_pg + [self.bin + "/pg_ctl", "-D", self.tmp + "/pg", "-l",
                                         self.tmp + "/pg.log", "-w", "-o",
                                         "-p %d -k %s -c listen_addresses=127.0.0.1" % (self.port, self.tmp),
                                         "start"],
                           check=True, stdout=subprocess.DEVNULL)
        except BaseException:
            shutil.rmtree(self.tmp, ignore_errors=True)
            raise
        return self

    def __exit__(self, *exc):
        subprocess.run(self.as_pg + [self.bin + "/pg_ctl", "-D", self.tmp + "/pg", "-m", "fast", "-w",
                                     "stop"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(self.tmp, ignore_errors=True)
        return False


def serve(kgrec, store, *args, tries=1200):
    """`kgrec serve STORE ARGS` on a free port once its /healthz answers: (process, base URL)."""
    port = free_port()
    p = subprocess.Popen([kgrec, "serve", store, "--listen", "127.0.0.1:%d" % port] + list(args),
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = "http://127.0.0.1:%d" % port
    for _ in range(tries):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1).read()
            return p, base
        except Exception:
            if p.poll() is not None:
                break
            time.sleep(0.05)
    p.kill()
    p.wait()
    raise SystemExit("kgrec serve %s did not start" % " ".join(args))


def sparql_ask(url, text):
    """POSTs the SPARQL query TEXT to URL (a /sparql endpoint) for JSON results:
    (milliseconds until the whole reply was read, the reply)."""
    data = urllib.parse.urlencode({"query": text}).encode()
    t0 = time.monotonic()
    with urllib.request.urlopen(urllib.request.Request(
            url, data=data, headers={"Accept": "application/sparql-results+json"})) as r:
        body = r.read()
    return (time.monotonic() - t0) * 1000, body


def wait_ready(port, proc, tries=1200):
    """Waits until the `kgrec serve` PROC on PORT says /readyz (its store loaded, its SPARQL
    query processes started); exits when it ended, or after TRIES polls 0.2 s apart."""
    for _ in range(tries):
        if proc.poll() is not None:
            raise SystemExit("kgrec serve ended with status %d" % proc.returncode)
        try:
            urllib.request.urlopen("http://127.0.0.1:%d/readyz" % port).read()
            return
        except Exception:
            time.sleep(0.2)
    raise SystemExit("kgrec serve not ready after %d s" % (tries // 5))


def sparql_service(kgrec, store, *args):
    """`kgrec serve STORE ARGS` on a free port with no cap on result rows, once ready:
    (process, URL of its /sparql)."""
    port = free_port()
    p = subprocess.Popen([kgrec, "serve", store, "--listen", "127.0.0.1:%d" % port,
                          "--sparql-max-rows", "100000000"] + list(args),
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_ready(port, p)
    except SystemExit:
        stop([p])
        raise
    return p, "http://127.0.0.1:%d/sparql" % port


def stop(procs, grace=20):
    """Terminates PROCS and waits for them (killed after GRACE seconds)."""
    for p in procs:
        p.terminate()
    for p in procs:
        try:
            p.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def load_average():
    return " ".join(open("/proc/loadavg").read().split()[:3])


def an_item(base):
    """A product of the served store (an item of its interactions)."""
    q = "SELECT ?i WHERE { ?e <https://w3id.org/kgrec/ns#item> ?i } LIMIT 1"
    with urllib.request.urlopen(base + "/sparql?query=" + urllib.parse.quote(q), timeout=30) as r:
        return json.loads(r.read())["results"]["bindings"][0]["i"]["value"]
