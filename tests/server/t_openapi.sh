#!/bin/bash
# docs/openapi.json describes the service as it answers: a real `kgrec serve` on loopback
# (graph ranker, and a second one with the scripted LLM server of tests/llm) is asked every
# endpoint with good and bad requests, and every reply is validated against the schema the
# description gives for that path, method and status. Every path of the description is
# exercised, and every endpoint of docs/SERVER.md is described.
. "$(dirname "$0")/../common/lib.sh"
SRC=${KGR_SOURCE_DIR:?KGR_SOURCE_DIR is not set}
D=$KGR_TEST_DATA/retrieval
PY=python3
$PY -c 'import jsonschema' 2>/dev/null || PY=/usr/bin/python3
SRV= SRV2= SRV3= LLM=
# start_server runs in a command substitution, whose variables the shell does not keep: the
# servers' pids are also written to $T/pids, which is what stops them
on_exit '[ -f "$T/pids" ] && kill $(cat "$T/pids") 2>/dev/null; [ -n "$LLM" ] && kill $LLM 2>/dev/null'
export no_proxy=127.0.0.1,localhost NO_PROXY=127.0.0.1,localhost

"$KGREC" load -q "$D/shop.ttl" --interactions "$D/interactions.csv" -o "$T/s.snap"
check "load the shop" $?

# start_server OUTVAR PORTFILE ARGS...: kgrec serve on a free port; the port in PORTFILE
start_server() {
	local out=$1; shift
	"$KGREC" serve "$T/s.snap" --listen 127.0.0.1:0 "$@" > "$T/$out.out" 2> "$T/$out.err" &
	eval "$out=$!"
	echo $! >> "$T/pids"
	for _ in $(seq 100); do
		grep -q 'listening on' "$T/$out.out" 2>/dev/null && break
		sleep 0.05
	done
	sed -n 's|.*http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$T/$out.out" | head -1
}
PORT=$(start_server SRV --events-log "$T/events.log")
[ -n "$PORT" ]; check "server started" $?

"$PY" "$SRC/tests/llm/fake_openai.py" > "$T/llm.port" &
LLM=$!
for _ in $(seq 50); do [ -s "$T/llm.port" ] && break; sleep 0.1; done
PORT2=$(start_server SRV2 --llm --llm-url "http://127.0.0.1:$(head -1 "$T/llm.port")/v1" --llm-model good/openapi --no-cache)
[ -n "$PORT2" ]; check "server with the scripted LLM started" $?
PORT3=$(start_server SRV3 --events-log "$T/events3.log" --strict-items)
[ -n "$PORT3" ]; check "server with --strict-items started" $?

"$PY" - "$SRC/docs/openapi.json" "$SRC/docs/SERVER.md" "$PORT" "$PORT2" "$PORT3" <<'PY'
import copy, json, re, sys, urllib.parse, urllib.request
import jsonschema

spec = json.load(open(sys.argv[1]))
base, base_llm = "http://127.0.0.1:%s" % sys.argv[3], "http://127.0.0.1:%s" % sys.argv[4]
base_strict = "http://127.0.0.1:%s" % sys.argv[5]

def to_json_schema(s):
    """OpenAPI 3.0 schema -> JSON Schema: nullable and $ref into components."""
    if isinstance(s, list):
        return [to_json_schema(x) for x in s]
    if not isinstance(s, dict):
        return s
    s = {k: to_json_schema(v) for k, v in s.items()}
    if s.pop("nullable", False) and "type" in s:
        s["type"] = [s["type"], "null"]
    if "$ref" in s:
        s["$ref"] = s["$ref"].replace("#/components/schemas/", "#/definitions/")
    return s

defs = to_json_schema(spec["components"]["schemas"])
resp_defs = spec["components"]["responses"]
seen = set()
failures = []

def schema_for(path_key, method, status, ctype):
    op = spec["paths"][path_key][method]
    r = op["responses"].get(str(status))
    if r is None:
        raise AssertionError("%s %s: status %s is not described" % (method.upper(), path_key, status))
    if "$ref" in r:
        r = resp_defs[r["$ref"].rsplit("/", 1)[1]]
    content = r.get("content", {})
    ctype = ctype.split(";")[0].strip()
    if ctype not in content:
        raise AssertionError("%s %s %s: content type %s is not described (%s)" % (method.upper(), path_key, status, ctype, list(content)))
    return content[ctype].get("schema")

def call(path_key, method, url, body=None, ctype="application/json", expect=None, headers=None, b=base):
    req = urllib.request.Request(b + url, data=body.encode() if body is not None else None, method=method.upper())
    if body is not None:
        req.add_header("Content-Type", ctype)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            status, text, rtype = r.status, r.read().decode(), r.headers.get("Content-Type", "")
    except urllib.error.HTTPError as e:
        status, text, rtype = e.code, e.read().decode(), e.headers.get("Content-Type", "")
    if expect is not None and status != expect:
        failures.append("%s %s: status %d, expected %d: %s" % (method.upper(), url, status, expect, text[:200]))
        return
    seen.add((path_key, method))
    try:
        schema = schema_for(path_key, method, status, rtype)
        if schema is not None:
            full = dict(to_json_schema(schema))
            full["definitions"] = defs
            jsonschema.validate(json.loads(text) if "json" in rtype else text, full)
    except (AssertionError, jsonschema.ValidationError) as e:
        failures.append("%s %s (%d): %s" % (method.upper(), url, status, str(e).split("\n")[0]))

q = urllib.parse.quote
call("/v1/recommend", "post", "/v1/recommend", '{"user":"alice","k":3,"explain":true}', expect=200)
call("/v1/recommend", "post", "/v1/recommend", '{"query":"ball","k":2}', expect=200)
call("/v1/recommend", "post", "/v1/recommend", '{"user":"nobody"}', expect=200)
call("/v1/recommend", "post", "/v1/recommend", '{"k":0}', expect=400)
call("/v1/recommend", "post", "/v1/recommend", '{"user":"alice","bogus":1}', expect=400)
call("/v1/recommend", "post", "/v1/recommend", '{"seeds":["nosuchitem"]}', expect=404)
call("/v1/recommend", "post", "/v1/recommend", '{"user":"alice","k":2}', expect=200, b=base_llm)
call("/v1/recommend", "post", "/v1/recommend", '{"user":"alice","k":2,"llm":{"mode":"pairwise"}}', expect=200, b=base_llm)
item = "https://w3id.org/kgrec/item/ball"
call("/v1/items/{iri}/similar", "get", "/v1/items/%s/similar?k=2&explain=true" % q(item, safe=""), expect=200)
call("/v1/items/{iri}/similar", "get", "/v1/items/%s/similar?k=0" % q(item, safe=""), expect=400)
call("/v1/items/{iri}/similar", "get", "/v1/items/%s/similar" % q("https://w3id.org/kgrec/item/nothing", safe=""), expect=404)
call("/v1/explain", "get", "/v1/explain?user=alice&item=%s" % q(item, safe=""), expect=200)
call("/v1/explain", "get", "/v1/explain?user=alice", expect=400)
call("/v1/events", "post", "/v1/events", '{"user":"zed","item":"%s","action":"view","time":1718000000}' % item, expect=200)
call("/v1/events", "post", "/v1/events", '[{"user":"zed","item":"%s"},{"user":"yan","item":"%s","weight":2}]' % (item, item), expect=200)
call("/v1/events", "post", "/v1/events", '{"events":[{"user":"zed"}]}', expect=400)
call("/v1/events", "post", "/v1/events", '{"user":"zed","item":"https://w3id.org/kgrec/item/nothing"}', expect=200)
call("/v1/events", "post", "/v1/events", '{"user":"zed","item":"http://example.org/shop/acme"}', expect=404)
call("/v1/events", "post", "/v1/events", '{"user":"zed","item":"NEW-SKU-1"}', expect=404, b=base_strict)
call("/v1/events", "post", "/v1/events", '{"user":"zed","item":"%s"}' % item, expect=503, b=base_llm)
call("/sparql", "get", "/sparql?query=" + q("SELECT ?s WHERE { ?s ?p ?o } LIMIT 2"), expect=200)
call("/sparql", "get", "/sparql?query=" + q("ASK { ?s ?p ?o }"), expect=200)
call("/sparql", "get", "/sparql?query=" + q("SELEC nothing"), expect=400)
call("/sparql", "post", "/sparql", "SELECT ?s WHERE { ?s ?p ?o } LIMIT 1", ctype="application/sparql-query", expect=200)
call("/sparql", "post", "/sparql", "update=" + q("INSERT DATA { <a:b> <a:c> <a:d> }"), ctype="application/x-www-form-urlencoded", expect=403)
call("/healthz", "get", "/healthz", expect=200)
call("/readyz", "get", "/readyz", expect=200)
call("/metrics", "get", "/metrics", expect=200)
call("/admin/reload", "post", "/admin/reload", "", expect=200)
call("/openapi.json", "get", "/openapi.json", expect=200)
call("/", "get", "/", expect=200)
call("/v1/users", "get", "/v1/users?q=ali&limit=5", expect=200)
call("/v1/users", "get", "/v1/users?limit=0", expect=400)
call("/v1/history", "get", "/v1/history?user=alice&limit=3", expect=200)
call("/v1/history", "get", "/v1/history?user=nobody", expect=404)
call("/v1/history", "get", "/v1/history", expect=400)
call("/v1/node", "get", "/v1/node?iri=%s" % q(item, safe=""), expect=200)
call("/v1/node", "get", "/v1/node?iri=%s" % q("https://w3id.org/kgrec/item/nothing", safe=""), expect=404)
call("/v1/vocab", "get", "/v1/vocab", expect=200)
call("/v1/status", "get", "/v1/status", expect=200)
with urllib.request.urlopen(base + "/openapi.json", timeout=30) as r:
    if json.loads(r.read()) != spec:
        failures.append("GET /openapi.json is not docs/openapi.json")

for path_key, ops in spec["paths"].items():
    for method in ops:
        if (path_key, method) not in seen:
            failures.append("%s %s is described but was not exercised" % (method.upper(), path_key))
documented = set(re.findall(r"^\| `(?:GET/POST|GET|POST) (/[^ `?]*)", open(sys.argv[2]).read(), re.M))
for p in documented:
    if p not in spec["paths"]:
        failures.append("docs/SERVER.md documents %s, docs/openapi.json does not" % p)
if failures:
    print("\n".join(failures))
    sys.exit(1)
print("openapi: %d operations exercised, every reply valid" % len(seen))
PY
check "every reply matches docs/openapi.json" $?
finish t_openapi
