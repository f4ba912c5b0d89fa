#!/usr/bin/env python3
"""How long a new client waits while many others stall `kgrec serve` (slowloris).

    bench/slow-clients.py KGREC STORE [--stalled 300] [--rounds 5]

Starts `kgrec serve STORE` on a free loopback port, then per round opens N connections that
each send half a request header and stop, and times a new client's GET /healthz (connect to
the last byte of the reply). Prints each round and the median and worst wait, and stops the
server. docs/SERVER.md gives its figures with the command.
"""
import socket, subprocess, sys, time, argparse, statistics

ap = argparse.ArgumentParser()
ap.add_argument("kgrec")
ap.add_argument("store")
ap.add_argument("--stalled", type=int, default=300)
ap.add_argument("--rounds", type=int, default=5)
a = ap.parse_args()

s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
srv = subprocess.Popen([a.kgrec, "serve", a.store, "--listen", "127.0.0.1:%d" % port],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

def healthz(timeout):
    t0 = time.monotonic()
    c = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    c.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    data = b""
    while True:
        b = c.recv(4096)
        if not b:
            break
        data += b
    c.close()
    if not data.startswith(b"HTTP/1.1 200"):
        raise RuntimeError("reply: %r" % data[:40])
    return time.monotonic() - t0

try:
    for _ in range(200):
        try:
            healthz(1); break
        except OSError:
            time.sleep(0.05)
    waits = []
    for r in range(a.rounds):
        stalled = []
        for i in range(a.stalled):
            try:
                c = socket.create_connection(("127.0.0.1", port), timeout=2)
                c.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                stalled.append(c)
            except OSError:
                pass
        t0 = time.monotonic()
        while True:
            try:
                healthz(5)
                break
            except (OSError, RuntimeError):
                time.sleep(0.05)
        w = time.monotonic() - t0
        waits.append(w)
        print("round %d: %d stalled connections open, a new client answered after %.3f s" % (r + 1, len(stalled), w))
        for c in stalled:
            c.close()
        time.sleep(1)
    print("median %.3f s, worst %.3f s over %d rounds" % (statistics.median(waits), max(waits), len(waits)))
finally:
    srv.terminate()
    srv.wait()
