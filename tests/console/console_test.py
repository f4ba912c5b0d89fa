"""The web console against a real `kgrec serve` (started by t_console.sh with the example
catalog): the console's JSON endpoints over HTTP, then each view in headless Chromium, its
lists and tables compared with what the API itself answers, an unauthorised browser, phone
width, keyboard reach, and no script error anywhere.

    console_test.py URL TOKEN SOURCE_DIR [URL_WITHOUT_TOKEN]
"""
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cdp  # noqa: E402

URL, TOKEN, SRC = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3]
OPEN_URL = sys.argv[4].rstrip("/") if len(sys.argv) > 4 else None
PROD = "https://shop.example.org/product/"
failures = 0
passed = 0


def check(name, ok, detail=""):
    global failures, passed
    if ok:
        passed += 1
    else:
        failures += 1
        print(f"FAIL: {name} {detail}", file=sys.stderr)
    return ok


def http(path, token=TOKEN, method="GET", body=None, headers=None):
    h = dict(headers or {})
    if token:
        h["Authorization"] = "Bearer " + token
    req = urllib.request.Request(URL + path, data=body, method=method, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read().decode()


def api(path, **kw):
    st, _, body = http(path, **kw)
    assert st == 200, f"{path}: {st} {body}"
    return json.loads(body)


def error_code(path, **kw):
    st, _, body = http(path, **kw)
    try:
        return st, json.loads(body)["error"]["code"]
    except (ValueError, KeyError):
        return st, None


def recommend(body):
    return api("/v1/recommend", method="POST", body=json.dumps(body).encode(),
               headers={"Content-Type": "application/json"})


def sparql(query):
    return api("/sparql", method="POST", body=urllib.parse.urlencode({"query": query}).encode(),
               headers={"Content-Type": "application/x-www-form-urlencoded",
                        "Accept": "application/sparql-results+json"})


# ---- the JSON endpoints ----

def endpoints():
    st, ctype, body = http("/", token=None)
    check("/ is served without the token", st == 200 and ctype.startswith("text/html") and
          "/console/app.js" in body, f"{st} {ctype}")
    st, ctype, body = http("/console/app.js", token=None)
    check("app.js is served without the token", st == 200 and "javascript" in ctype)
    check("no third-party address in the page or the script",
          "http://" not in http("/", token=None)[2].replace("http://www.w3.org/2000/svg", "")
          and "https://" not in body.replace("https://w3id.org", ""))
    check("a path outside the console files needs the token",
          http("/console/nope.js", token=None)[0] == 401 and http("/console/nope.js")[0] == 404)
    for p in ("/v1/users", "/v1/history?user=u003", "/v1/node?iri=x", "/v1/vocab", "/v1/status"):
        check(f"{p} needs the token", error_code(p, token=None) == (401, "unauthorized"))
        check(f"{p} refuses a wrong token", error_code(p, token="wrong")[0] == 401)
    check("POST /v1/users is 405", error_code("/v1/users", method="POST", body=b"")[0] == 405)

    u = api("/v1/users?q=u00&limit=3")
    check("user search: limit and count", len(u["users"]) == 3 and u["matches"] == 9 and
          u["truncated"] is True, json.dumps(u)[:300])
    check("user search: IRIs and interaction counts",
          u["users"][2]["user"] == "https://shop.example.org/user/u003" and
          u["users"][2]["interactions"] == 9)
    check("user search: case-insensitive on the IRI",
          api("/v1/users?q=SHOP.EXAMPLE.ORG/USER/U00")["matches"] == 9)
    check("user search: nothing found", api("/v1/users?q=nobody-here")["users"] == [])
    check("user search: bad limit", error_code("/v1/users?limit=0") == (400, "invalid"))
    check("user search: unknown parameter",
          error_code("/v1/users?query=x") == (400, "unknown_parameter"))

    h = api("/v1/history?user=u003")
    times = [e["time"] for e in h["history"]]
    check("history: all of it, newest first", h["total"] == 9 and len(times) == 9 and
          times == sorted(times, reverse=True), json.dumps(h)[:300])
    first = h["history"][0]
    check("history: action, label, weight", first["action"].endswith("#rate") and
          first["action_label"] and first["weight"] == 5 and
          first["label"] == "Lumora Z50 Mirrorless Camera", json.dumps(first))
    check("history: limit keeps the newest", [e["time"] for e in
          api("/v1/history?user=u003&limit=2")["history"]] == times[:2])
    check("history: unknown user", error_code("/v1/history?user=nobody") == (404, "unknown_user"))
    check("history: missing user", error_code("/v1/history") == (400, "missing_parameter"))

    n = api("/v1/node?iri=prod:p-mirrorless-camera-lumora-z50")
    check("node: labels", [l["value"] for l in n["labels"]] == ["Lumora Z50 Mirrorless Camera"],
          json.dumps(n["labels"]))
    check("node: types", any(t["value"] == "http://schema.org/Product" for t in n["types"]))
    check("node: an item", n.get("item") is True and n["kind"] == "iri")
    brand = [e for e in n["out"] if e["p"]["value"] == "http://schema.org/brand"]
    check("node: out edge with the ontology's phrase", len(brand) == 1 and
          brand[0]["p"]["phrase"] == "is made by" and
          brand[0]["o"]["value"] == "https://shop.example.org/brand/lumora")
    # the SPARQL default graph is the union of the store's graphs
    total = int(sparql("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p <%s> }" % (
        PROD + "p-mirrorless-camera-lumora-z50"))["results"]["bindings"][0]["n"]["value"])
    check("node: in-edge total matches SPARQL", n["in_total"] == total and
          len(n["in"]) == total, f"{n['in_total']} vs {total}")
    small = api("/v1/node?iri=prod:p-mirrorless-camera-lumora-z50&limit=2")
    check("node: limit", len(small["in"]) == 2 and small["in_total"] == n["in_total"])
    check("node: a user is marked", api("/v1/node?iri=u003").get("user") is True or
          api("/v1/node?iri=https://shop.example.org/user/u003").get("user") is True)
    check("node: unknown", error_code("/v1/node?iri=http://nowhere.example/x") == (404, "unknown_node"))
    check("node: missing iri", error_code("/v1/node") == (400, "missing_parameter"))

    v = api("/v1/vocab")
    check("vocab: the store's prefixes", v["prefixes"].get("schema") == "http://schema.org/" and
          v["prefixes"].get("prod") == PROD)
    check("vocab: phrases", v["phrases"].get("http://schema.org/brand") == "is made by")
    qdir = os.path.join(SRC, "examples", "queries")
    files = sorted(f for f in os.listdir(qdir) if f.endswith(".rq"))
    check("vocab: the example queries, embedded", [q["name"] for q in v["queries"]] == files and
          all(q["query"] == open(os.path.join(qdir, q["name"])).read() for q in v["queries"]))

    s = api("/v1/status")
    ready = json.loads(http("/readyz", token=None)[2])
    check("status: snapshot as /readyz says", s["snapshot"]["checksum"] == ready["snapshot"] and
          s["snapshot"]["quads"] == ready["quads"] and s["snapshot"]["users"] == ready["users"])
    check("status: age and options", s["snapshot"]["age_seconds"] >= 0 and
          s["llm"] == {"configured": True, "model": "good/console", "candidates": 20} and
          s["sparql"]["max_rows"] == 500 and
          s["events_log"] is True)
    before = len(s["last_events"])
    st, _, _ = http("/v1/events", method="POST", body=json.dumps(
        [{"user": "u900", "item": "prod:p-mirrorless-camera-lumora-z8", "action": "view",
          "time": "2025-10-01T10:00:00Z"},
         {"user": "u900", "item": "prod:p-mirrorless-camera-lumora-z8", "action": "purchase",
          "time": "2025-10-01T10:05:00Z"}]).encode(), headers={"Content-Type": "application/json"})
    last = api("/v1/status")["last_events"]
    check("status: the last events, newest first", st == 200 and len(last) == before + 2 and
          last[0]["action"].endswith("#purchase") and last[0]["time"] == "2025-10-01T10:05:00Z"
          and last[1]["action"].endswith("#view") and last[0]["user_label"] == "u900" and
          last[0]["item_label"] == "Lumora Z8 Mirrorless Camera", json.dumps(last)[:300])
    st, _, m = http("/metrics")
    check("metrics count the console", 'endpoint="console"' in m)


# ---- the browser ----

def login(b):
    b.goto(URL + "/")
    b.wait("!document.getElementById('login').hidden")
    b.eval("document.getElementById('login-token').value = %s;"
           "document.getElementById('login-form').requestSubmit(); 1" % json.dumps(TOKEN))
    b.wait("!document.getElementById('app').hidden")
    b.network.clear()  # the page's first call, before the token, was refused as it should be


def go(b, hash_):
    b.eval("location.hash = %s; 1" % json.dumps(hash_))


def dom_list(b, selector):
    return b.eval("""Array.from(document.querySelectorAll(%s)).map((li) => ({
        item: li.dataset.item, score: li.dataset.score, rank: li.dataset.rank,
        label: li.querySelector('.name').textContent,
        svgs: li.querySelectorAll('svg.paths').length,
        edges: Array.from(li.querySelectorAll('svg.paths .elabel')).map((t) =>
          Array.from(t.childNodes).filter((n) => n.nodeType === 3).map((n) => n.data).join(''))}))"""
                  % json.dumps(selector))


def same_list(name, dom, items):
    ok = len(dom) == len(items) and all(
        d["item"] == it["item"] and float(d["score"]) == it["score"] and
        d["label"] == it["label"] and d["rank"] == str(it["rank"]) for d, it in zip(dom, items))
    return check(name, ok, "\nconsole: %s\napi:     %s" % (
        [(d["item"], d["score"]) for d in dom], [(i["item"], i["score"]) for i in items]))


def shopper(b, vocab):
    go(b, "#/shopper?user=u003&k=5")
    b.wait("document.querySelectorAll('#lists ol.recs > li').length === 5")
    dom = dom_list(b, "#lists ol.recs > li")
    api_list = recommend({"user": "u003", "k": 5, "explain": True, "llm": {"enabled": False}})["items"]
    same_list("shopper list matches /v1/recommend exactly", dom, api_list)
    check("each item with evidence paths has its drawing",
          all(d["svgs"] == (1 if it.get("paths") else 0) for d, it in zip(dom, api_list)))
    phrases = set(vocab["phrases"].values())
    labels = [t for d in dom for t in d["edges"]]
    check("edge labels are the ontology's phrases", labels and
          sum(t in phrases for t in labels) >= len(labels) // 2, str(labels[:8]))
    b.wait("document.querySelectorAll('#history tbody tr').length === 9")
    check("history table", b.eval("document.querySelector('#history tbody tr td:nth-child(3)')"
                                  ".textContent") == "Lumora Z50 Mirrorless Camera")
    check("rationale shown", b.eval("document.querySelector('#lists .rationale').textContent") ==
          api_list[0]["rationale"])

    # the graph and the LLM ranker side by side
    go(b, "#/shopper?user=u003&k=4&ranker=graph&compare=llm")
    b.wait("document.querySelectorAll('#lists ol.recs').length === 2 && "
           "document.querySelector('#lists ol.recs[data-ranker=llm]') && "
           "document.querySelector('#lists ol.recs[data-ranker=llm]').children.length === 4 && "
           "document.querySelector('#lists ol.recs[data-ranker=graph]').children.length === 4")
    two = b.eval("Array.from(document.querySelectorAll('#lists > section')).map((s) => "
                 "s.getBoundingClientRect().top)")
    check("two lists side by side at 1280 px", len(two) == 2 and abs(two[0] - two[1]) < 2, str(two))
    same_list("graph list of the pair matches /v1/recommend", dom_list(b, "#lists ol.recs[data-ranker=graph] > li"),
              recommend({"user": "u003", "k": 4, "explain": True, "llm": {"enabled": False}})["items"])
    llm = recommend({"user": "u003", "k": 4, "explain": True, "llm": {"enabled": True}})
    check("the LLM ranked (not a fallback)", llm.get("fallback") is False, json.dumps(llm.get("notes")))
    for i, it in enumerate(llm["items"]):
        it.setdefault("rank", i + 1)
    same_list("LLM list matches /v1/recommend with the LLM", dom_list(b, "#lists ol.recs[data-ranker=llm] > li"),
              llm["items"])
    b.eval("document.querySelector('#lists ol.recs[data-ranker=llm] > li .row button').click(); 1")
    b.wait("!!document.querySelector('#lists ol.recs[data-ranker=llm] > li svg.paths')")
    check("LLM list: evidence paths on demand", True)

    # why not this item?
    target = PROD + "p-camera-shoulder-bag-pixelcraft-pro-30l"
    b.eval("document.getElementById('whynot-item').value = %s;"
           "document.getElementById('whynot-form').requestSubmit(); 1" % json.dumps(target))
    b.wait("document.querySelectorAll('#whynot ol.recs > li').length === 1")
    ex = api("/v1/explain?" + urllib.parse.urlencode({"user": "u003", "item": target}))
    same_list("why-not matches /v1/explain", dom_list(b, "#whynot ol.recs > li"), ex["items"])

    # similar items, from an item's button
    b.eval("document.querySelector('#lists ol.recs > li button').click(); 1")
    b.wait("document.querySelectorAll('#similar ol.recs > li').length > 0")
    sim = api("/v1/items/%s/similar?k=5&explain=true" % urllib.parse.quote(api_list[0]["item"], safe=""))
    same_list("similar matches /v1/items/{iri}/similar", dom_list(b, "#similar ol.recs > li"),
              sim["items"])

    # free-text request
    go(b, "#/shopper?text=camera%20bag&k=5")
    b.wait("document.querySelectorAll('#lists ol.recs > li').length > 0")
    time.sleep(0.1)
    same_list("free-text list matches /v1/recommend", dom_list(b, "#lists ol.recs > li"),
              recommend({"query": "camera bag", "k": 5, "explain": True, "llm": {"enabled": False}})["items"])


def query(b, vocab):
    q = next(x for x in vocab["queries"] if x["name"] == "brand-products.rq")["query"]
    go(b, "#/query?q=" + urllib.parse.quote(q))
    b.wait("document.querySelectorAll('table.results tbody tr').length > 0")
    dom = b.eval("Array.from(document.querySelectorAll('table.results tbody tr')).map((tr) => "
                 "Array.from(tr.children).map((td) => td.dataset.value))")
    res = sparql(q)
    want = [[r.get(v, {}).get("value", "") for v in res["head"]["vars"]]
            for r in res["results"]["bindings"]]
    check("query table matches /sparql", dom == want and len(want) > 0,
          f"\nconsole: {dom[:3]}\nsparql:  {want[:3]}")
    check("query: IRIs link to the node view", b.eval(
        "document.querySelector('table.results tbody td a').getAttribute('href')")
          .startswith("#/node?iri="))
    check("query: rows and time shown", b.eval(
        "/^\\d+ rows? in \\d+ ms/.test(document.getElementById('query-info').textContent)"))
    # the downloads are the server's own result formats
    b.eval("window.__blobs = []; const make = URL.createObjectURL.bind(URL);"
           "URL.createObjectURL = (x) => { window.__blobs.push(x); return make(x); }; 1")
    b.eval("document.getElementById('dl-json').click(); document.getElementById('dl-csv').click(); 1")
    b.wait("window.__blobs.length === 2")
    got = b.eval("Promise.all(window.__blobs.map((x) => x.text()))")
    st, _, csv = http("/sparql", method="POST", body=urllib.parse.urlencode({"query": q}).encode(),
                      headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/csv"})
    check("query: JSON download is the /sparql result", json.loads(got[0]) == res)
    check("query: CSV download is /sparql's CSV", st == 200 and got[1] == csv, got[1][:200])
    go(b, "#/query?q=" + urllib.parse.quote("SELECT ?s ?p ?o WHERE { ?s ?p ?o }"))
    b.wait("document.querySelectorAll('table.results tbody tr').length === 500")
    check("query: a result cut at --sparql-max-rows says so",
          "truncated at the server\u2019s limit of 500 rows" in b.eval("document.getElementById('query-info').textContent"))
    check("query: example list", b.eval(
        "document.querySelectorAll('#query-example option').length") == len(vocab["queries"]) + 1)
    bad = "PREFIX schema: <http://schema.org/>\nSELECT ?s WHERE {\n  ?s schema:name ?n .\n  FILTER(?n = )\n}"
    go(b, "#/query?q=" + urllib.parse.quote(bad))
    b.wait("!document.getElementById('query-error').hidden")
    check("query: a syntax error is shown at its line",
          b.eval("document.getElementById('query-error').textContent").startswith("Line 4:") and
          b.eval("document.querySelector('#query-gutter .bad').textContent.trim()") == "4")
    check("query: the syntax error was the only failed request",
          len(b.network) == 1 and "400" in b.network[0] and "/sparql" in b.network[0], str(b.network))
    b.network.clear()


def node(b):
    go(b, "#/node?iri=" + urllib.parse.quote("prod:p-mirrorless-camera-lumora-z50"))
    b.wait("!!document.querySelector('[data-node]')")
    n = api("/v1/node?iri=prod:p-mirrorless-camera-lumora-z50&limit=200")
    check("node view: drawing", b.eval("document.querySelectorAll('svg.hood rect').length") ==
          1 + min(12, len(n["in"])) + min(12, len(n["out"])))
    check("node view: in and out lists", b.eval(
        "[document.querySelectorAll('table.edges-out tbody tr').length,"
        " document.querySelectorAll('table.edges-in tbody tr').length]") ==
          [len(n["out"]), len(n["in"])])
    check("node view: links onward", b.eval(
        "Array.from(document.querySelectorAll('table.edges-out a')).some((a) => "
        "a.getAttribute('href') === '#/node?iri=' + encodeURIComponent('https://shop.example.org/brand/lumora'))"))


def service(b):
    go(b, "#/service")
    b.wait("!!document.querySelector('[data-checksum]')")
    ready = json.loads(http("/readyz", token=None)[2])
    check("service: snapshot checksum", b.eval(
        "document.querySelector('[data-checksum]').dataset.checksum") == ready["snapshot"])
    b.wait("document.querySelector('[data-rate=events]').textContent !== '\\u2026'", timeout=8)
    check("service: request rows", b.eval(
        "document.querySelectorAll('table.requests tbody tr').length") >= 3)
    check("service: last events", b.eval(
        "document.body.innerText.includes('u900')"))
    b.eval("document.getElementById('reload').click(); 1")
    b.wait("/^Reloaded/.test(document.getElementById('service-msg').textContent)", timeout=20)
    check("service: reload", True)


def keyboard(b):
    b.goto("about:blank")
    b.goto(URL + "/#/shopper")  # a fresh page: focus starts at the top
    b.wait("!document.getElementById('app').hidden")
    seen = []
    for _ in range(8):
        b.key("Tab", vk=9)
        seen.append(b.eval("(document.activeElement.textContent || document.activeElement.id || '').trim()"))
    check("keyboard: skip link, then the views", seen[0] == "Skip to content" and
          all(v in seen for v in ("Shopper", "Query", "Node", "Service")), str(seen))
    b.eval("Array.from(document.querySelectorAll('nav a')).find((a) => a.textContent === 'Query').focus(); 1")
    b.key("Enter", vk=13)
    b.wait("!document.getElementById('view-query').hidden")
    check("keyboard: Enter on a view link opens it", True)


def phone(b):
    b.viewport(390, 844, mobile=True)
    widths = {}
    for h, ready in (("#/shopper?user=u003&k=3", "document.querySelectorAll('#lists li').length >= 3"),
                     ("#/query?q=" + urllib.parse.quote("SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 5"),
                      "document.querySelectorAll('table.results tbody tr').length === 5"),
                     ("#/node?iri=brand:lumora", "!!document.querySelector('[data-node]')"),
                     ("#/service", "!!document.querySelector('[data-checksum]')")):
        go(b, h)
        b.wait(ready)
        widths[h.split("?")[0]] = b.eval("document.documentElement.scrollWidth")
    check("phone width: no view scrolls sideways", all(w <= 390 for w in widths.values()), str(widths))
    b.viewport(1280, 800)


def unauthorised():
    b = cdp.Browser()
    try:
        b.goto(URL + "/#/shopper?user=u003")
        b.wait("!document.getElementById('login').hidden")
        time.sleep(0.3)
        text = b.eval("document.body.innerText")
        check("unauthorised: only the login prompt", "Token" in text and "Sign in" in text and
              "Shopper" not in text and "u003" not in text and
              b.eval("document.getElementById('app').hidden"), text)
        b.eval("document.getElementById('login-token').value = 'wrong';"
               "document.getElementById('login-form').requestSubmit(); 1")
        b.wait("!document.getElementById('login-error').hidden")
        check("unauthorised: a wrong token is refused", b.eval("document.getElementById('app').hidden"))
        check("unauthorised: no script error", not b.errors, str(b.errors))
        check("unauthorised: only 401s failed", all("401" in n for n in b.network), str(b.network))
    finally:
        b.close()


def without_token():
    """A server without a token file (loopback only): no sign-in form, no sign-out button."""
    b = cdp.Browser()
    try:
        b.goto(OPEN_URL + "/#/service")
        b.wait("!document.getElementById('app').hidden && !!document.querySelector('[data-checksum]')")
        check("no token file: the console opens without the sign-in form",
              b.eval("document.getElementById('login').hidden && document.getElementById('logout').hidden"))
        check("no token file: no script error or failed request", not b.errors and not b.network,
              str(b.errors + b.network))
    finally:
        b.close()


def token_revoked(b):
    """A token refused in the middle of a session brings the sign-in form back."""
    b.eval("sessionStorage.setItem('kgrec-token', 'no-longer-valid'); 1")
    go(b, "#/node?iri=brand:lumora")
    b.wait("!document.getElementById('login').hidden")
    check("a refused token brings the sign-in form back", b.eval(
        "document.getElementById('app').hidden && !document.getElementById('login-error').hidden"))
    check("... after one 401", len(b.network) == 1 and "401" in b.network[0], str(b.network))


def main():
    t0 = time.time()
    endpoints()
    vocab = api("/v1/vocab")
    unauthorised()
    b = cdp.Browser(1280, 800)
    try:
        login(b)
        for step in (shopper, query, node, service, keyboard, phone):
            try:
                step(b, vocab) if step in (shopper, query) else step(b)
            except Exception as e:  # a timeout names what it waited for
                check(f"{step.__name__} view", False, repr(e))
        check("no script error logged", not b.errors, str(b.errors))
        check("no failed request", not b.network, str(b.network))
        token_revoked(b)
        check("no script error after the sign-in form came back", not b.errors, str(b.errors))
    finally:
        b.close()
    if OPEN_URL:
        without_token()
    print(f"console: {passed} passed, {failures} failed in {time.time() - t0:.1f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
