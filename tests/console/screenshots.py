"""Screenshots of each view of the console for docs/CONSOLE.md, taken in headless Chromium
against a running `kgrec serve` with the example catalog (scripts/console-screenshots.sh).

    screenshots.py URL TOKEN OUTDIR
"""
import json
import os
import sys
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cdp  # noqa: E402

URL, TOKEN, OUT = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3]


def post(path, body):
    req = urllib.request.Request(URL + path, data=json.dumps(body).encode(), method="POST",
        headers={"Authorization": "Bearer " + TOKEN, "Content-Type": "application/json"})
    urllib.request.urlopen(req, timeout=30).read()


def shot(b, name, hash_, ready, settle=0.3):
    b.eval("location.hash = %s; 1" % json.dumps(hash_))
    b.wait(ready)
    time.sleep(settle)
    b.eval("window.scrollTo(0, 0); document.activeElement && document.activeElement.blur(); 1")
    path = os.path.join(OUT, name + ".png")
    b.screenshot(path)
    print(f"{path}: {os.path.getsize(path) // 1024} KB")


def main():
    os.makedirs(OUT, exist_ok=True)
    b = cdp.Browser(1280, 900)
    try:
        b.goto(URL + "/")
        b.wait("!document.getElementById('login').hidden")
        b.screenshot(os.path.join(OUT, "login.png"))
        b.eval("document.getElementById('login-token').value = %s;"
               "document.getElementById('login-form').requestSubmit(); 1" % json.dumps(TOKEN))
        b.wait("!document.getElementById('app').hidden")
        shot(b, "shopper", "#/shopper?user=u003&k=4",
             "document.querySelectorAll('#lists ol.recs > li').length >= 4")
        b.eval("window.scrollTo(0, document.querySelector('#lists').offsetTop - 10); 1")
        b.screenshot(os.path.join(OUT, "shopper-paths.png"))
        shot(b, "compare", "#/shopper?k=3&compare=llm&user=u003",
             "document.querySelectorAll('#lists ol.recs').length === 2 && "
             "document.querySelectorAll('#lists ol.recs > li').length === 6")
        b.eval("document.querySelector('#lists ol.recs[data-ranker=llm] > li .row button').click(); 1")
        b.wait("!!document.querySelector('#lists ol.recs[data-ranker=llm] > li svg.paths')")
        b.eval("window.scrollTo(0, document.querySelector('#lists').offsetTop - 10); 1")
        b.screenshot(os.path.join(OUT, "compare.png"))
        q = open(os.path.join(os.path.dirname(__file__), "..", "..", "examples", "queries",
                              "brand-products.rq")).read()
        shot(b, "query", "#/query?q=" + urllib.parse.quote(q),
             "document.querySelectorAll('table.results tbody tr').length > 0")
        shot(b, "node", "#/node?iri=" + urllib.parse.quote("prod:p-mirrorless-camera-lumora-z50"),
             "!!document.querySelector('[data-node]')")
        shot(b, "service", "#/service", "!!document.querySelector('[data-checksum]')")
        for i in range(6):  # some traffic between two samples of /metrics
            post("/v1/events", {"user": "u00%d" % (i + 1), "item": "prod:p-mirrorless-camera-lumora-z8",
                                "action": "view", "time": "2025-10-0%dT10:00:00Z" % (i + 1)})
            post("/v1/recommend", {"user": "u00%d" % (i + 1), "k": 5, "explain": True})
        time.sleep(3.2)
        b.screenshot(os.path.join(OUT, "service.png"))
        b.viewport(390, 844, mobile=True)
        shot(b, "phone", "#/shopper?user=u003&k=3", "document.querySelectorAll('#lists ol.recs > li').length >= 3")
        if b.errors:
            print("script errors:", b.errors, file=sys.stderr)
            return 1
    finally:
        b.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
