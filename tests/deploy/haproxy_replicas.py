"""Drives tests/deploy/t_haproxy.sh: two kgrec serve replicas and HAProxy with the
configuration of deploy/haproxy.cfg (ports and paths replaced), all on 127.0.0.1.

usage: haproxy_replicas.py KGREC STORE HAPROXY_CFG TMPDIR

Every process started is written to TMPDIR/pids (the shell test kills what is left) and
stopped in the finally clause. Exits non-zero with the reason on the first failed check."""
import csv
import http.client
import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback

KGREC, STORE, CFG, T = sys.argv[1:5]
BACKEND = "kgrec_replicas"
procs = []


def spawn(args, name):
    p = subprocess.Popen(args, stdout=open(os.path.join(T, name + ".out"), "w"),
                         stderr=open(os.path.join(T, name + ".err"), "w"))
    with open(os.path.join(T, "pids"), "a") as f:
        f.write("%d\n" % p.pid)
    procs.append(p)
    return p


def wait_for(what, cond, timeout=15.0, every=0.05):
    t0 = time.time()
    while time.time() - t0 < timeout:
        v = cond()
        if v:
            return v
        time.sleep(every)
    raise AssertionError("timed out after %.0f s waiting for %s" % (timeout, what))


class Replica:
    """kgrec serve with its own access log per start, on a port of its own."""

    def __init__(self, name):
        self.name, self.port, self.starts, self.proc = name, 0, 0, None

    def start(self):
        self.starts += 1
        tag = "%s.%d" % (self.name, self.starts)
        self.access = os.path.join(T, tag + ".access")
        self.err = os.path.join(T, tag + ".err")
        self.proc = spawn([KGREC, "serve", STORE, "--listen", "127.0.0.1:%d" % self.port,
                           "--access-log", self.access,
                           "--events-log", os.path.join(T, self.name + ".events")], tag)
        out = os.path.join(T, tag + ".out")

        def port():
            if self.proc.poll() is not None:
                raise AssertionError("%s exited: %s" % (tag, open(self.err).read()))
            m = re.search(r"http://127\.0\.0\.1:(\d+)/", open(out).read())
            return m and int(m.group(1))
        self.port = wait_for(tag + " listening", port)

    def recommends(self):
        """Recommendations this start of the replica answered."""
        try:
            return sum(1 for line in open(self.access) if '"endpoint":"recommend"' in line)
        except FileNotFoundError:
            return 0


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def haproxy_config(fe_port, r1, r2):
    """deploy/haproxy.cfg with the test's ports and paths; every replacement must apply
    once, so that a change of the deploy file's shape fails here instead of passing
    unnoticed."""
    text = open(CFG).read()
    subs = [
        (r"\n\tchroot [^\n]*", ""), (r"\n\tuser [^\n]*", ""), (r"\n\tgroup [^\n]*", ""),
        (r"\n\tdaemon\n", "\n"),
        (r"\n\tlog /dev/log local0\n", "\n\tlog stdout format raw local0\n"),
        (r"stats socket /run/haproxy/admin\.sock", "stats socket %s/admin.sock" % T),
        (r"bind 127\.0\.0\.1:8080\n", "bind 127.0.0.1:%d\n" % fe_port),
        (r"server replica1 127\.0\.0\.1:8081\n", "server replica1 127.0.0.1:%d\n" % r1),
        (r"server replica2 127\.0\.0\.1:8082\n", "server replica2 127.0.0.1:%d\n" % r2),
    ]
    for pat, rep in subs:
        text, n = re.subn(pat, rep, text)
        assert n == 1, "deploy/haproxy.cfg: '%s' found %d times, not once" % (pat, n)
    for must in ("option httpchk GET /readyz", "http-check expect status 200",
                 "option redispatch", "retries "):
        assert must in text, "deploy/haproxy.cfg lacks '%s'" % must
    return text


def admin(cmd):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(5)
    s.connect(os.path.join(T, "admin.sock"))
    s.sendall(cmd.encode() + b"\n")
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    return data.decode()


def status(server):
    """HAProxy's view of a replica: UP, DOWN, DRAIN, MAINT (with transitions, e.g. 'UP 1/2')."""
    text = admin("show stat").lstrip("# ")
    for row in csv.DictReader(io.StringIO(text)):
        if row["pxname"] == BACKEND and row["svname"] == server:
            return row["status"]
    raise AssertionError("no server %s in HAProxy's stats: %s" % (server, text[:300]))


def request(fe_port, method, path, body=None):
    c = http.client.HTTPConnection("127.0.0.1", fe_port, timeout=30)
    try:
        c.request(method, path, body=body, headers={"Content-Type": "application/json"})
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


def recommend(fe_port, user="alice"):
    code, body = request(fe_port, "POST", "/v1/recommend", json.dumps({"user": user, "k": 3}))
    if code != 200:
        return "%d %s" % (code, body[:200])
    if not json.loads(body).get("items"):
        return "200 without items: %s" % body[:200]
    return None


class Load(threading.Thread):
    """Recommendations sent one after the other until stopped; failures kept."""

    def __init__(self, fe_port):
        super().__init__(daemon=True)
        self.fe_port, self.stop, self.sent, self.failures = fe_port, False, 0, []

    def run(self):
        users = ["alice", "bob", "carol", "dave"]
        while not self.stop:
            try:
                err = recommend(self.fe_port, users[self.sent % len(users)])
            except Exception as e:  # a reset or refused connection is a failure too
                err = repr(e)
            self.sent += 1
            if err:
                self.failures.append(err)
            time.sleep(0.003)  # a steady stream, not a benchmark: the machine is shared

    def finish(self):
        self.stop = True
        self.join(60)
        assert self.sent > 10, "only %d requests sent" % self.sent
        assert not self.failures, "%d of %d requests failed: %s" % (
            len(self.failures), self.sent, self.failures[:3])


def lose_replica(fe_port, rep, server, sig):
    """While requests flow through HAProxy, stop a replica with sig: none fails, the health
    check takes it out, the other replica answers everything."""
    load = Load(fe_port)
    load.start()
    time.sleep(0.5)
    rep.proc.send_signal(sig)
    rep.proc.wait(20)
    wait_for(server + " DOWN", lambda: status(server).startswith("DOWN"), timeout=10)
    time.sleep(0.5)
    load.finish()
    print("%s: %s, taken out of rotation; %d requests through HAProxy, none failed"
          % (server, signal.Signals(sig).name, load.sent))


def rejoin(fe_port, rep, server):
    rep.start()  # the same port
    wait_for(server + " UP again", lambda: status(server) == "UP", timeout=15)
    for i in range(20):
        err = recommend(fe_port)
        assert not err, err
    assert rep.recommends() > 0, "%s restarted got no request" % server
    print("%s: restarted, back in rotation (%d requests)" % (server, rep.recommends()))


def settled(rep, quiet=1.0, timeout=30.0):
    """rep's count of recommendations once its access log has not grown for quiet seconds."""
    t0, last, since = time.time(), rep.recommends(), time.time()
    while time.time() - since < quiet:
        if time.time() - t0 > timeout:
            raise AssertionError("%s's access log still grew after %.0f s" % (rep.name, timeout))
        time.sleep(0.1)
        n = rep.recommends()
        if n != last:
            last, since = n, time.time()
    return last


def drain_and_reload(fe_port, rep, other, server):
    """The procedure of docs/DEPLOY.md: drain, SIGHUP, wait for the reload, ready again."""
    assert "" == admin("set server %s/%s state drain" % (BACKEND, server)).strip()
    wait_for(server + " DRAIN", lambda: status(server) == "DRAIN", timeout=30)
    # the access logs are written after the answers: counts taken before the lines of the
    # requests sent so far are all written would be too low (seen under ASan)
    before, other_before = settled(rep), settled(other)
    rep.proc.send_signal(signal.SIGHUP)
    wait_for("the reload", lambda: "reloaded" in open(rep.err).read(), timeout=20)
    for i in range(10):
        err = recommend(fe_port)
        assert not err, err
    wait_for("the other replica to log the 10 requests",
             lambda: other.recommends() >= other_before + 10, timeout=30)
    got = settled(other) - other_before
    assert got == 10, "the other replica logged %d recommendations for 10 requests" % got
    assert settled(rep) == before, "a drained replica got requests"
    assert "" == admin("set server %s/%s state ready" % (BACKEND, server)).strip()
    wait_for(server + " UP", lambda: status(server) == "UP", timeout=30)
    for i in range(10):
        err = recommend(fe_port)
        assert not err, err
    assert rep.recommends() > before, "a replica made ready again got no request"
    print("%s: drained, reloaded, ready again" % server)


def main():
    r1, r2 = Replica("replica1"), Replica("replica2")
    r1.start()
    r2.start()
    fe_port = free_port()
    cfg = os.path.join(T, "haproxy.cfg")
    with open(cfg, "w") as f:
        f.write(haproxy_config(fe_port, r1.port, r2.port))
    check = subprocess.run(["haproxy", "-c", "-f", cfg], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    ha = spawn(["haproxy", "-f", cfg, "-db"], "haproxy")
    wait_for("HAProxy's admin socket", lambda: os.path.exists(os.path.join(T, "admin.sock"))
             or ha.poll() is not None)
    assert ha.poll() is None, open(os.path.join(T, "haproxy.err")).read()
    for s in ("replica1", "replica2"):
        wait_for(s + " UP", lambda: status(s) == "UP")

    for i in range(20):
        err = recommend(fe_port)
        assert not err, err
    # a request is logged once its reply is out: the last line may come a moment later
    wait_for("20 requests in the access logs (%d, %d)" % (r1.recommends(), r2.recommends()),
             lambda: r1.recommends() + r2.recommends() == 20, timeout=30)
    assert r1.recommends() > 0 and r2.recommends() > 0, \
        "requests did not reach both replicas (%d, %d)" % (r1.recommends(), r2.recommends())
    print("20 requests through HAProxy: %d on replica1, %d on replica2"
          % (r1.recommends(), r2.recommends()))
    code, body = request(fe_port, "POST", "/admin/reload")
    assert code == 403, "POST /admin/reload through HAProxy: %d" % code

    lose_replica(fe_port, r1, "replica1", signal.SIGTERM)
    rejoin(fe_port, r1, "replica1")
    lose_replica(fe_port, r2, "replica2", signal.SIGKILL)
    rejoin(fe_port, r2, "replica2")
    drain_and_reload(fe_port, r1, r2, "replica1")


def stop_all(*_):
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.wait(10)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    try:
        main()
    except AssertionError:
        traceback.print_exc()
        sys.exit(1)
    finally:
        stop_all()
