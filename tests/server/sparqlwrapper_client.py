#!/usr/bin/python3
"""Query a SPARQL endpoint with SPARQLWrapper (a client kgrec did not write) and print what it
got, one line per fact, for the C test to compare:

    sparqlwrapper_client.py ENDPOINT [TOKEN]

Runs SELECT (JSON results), ASK, SELECT with CSV results, and CONSTRUCT (Turtle), and exits 1
with the exception text when anything fails."""
import sys

from SPARQLWrapper import CSV, JSON, TURTLE, SPARQLWrapper

endpoint = sys.argv[1]
token = sys.argv[2] if len(sys.argv) > 2 else None
SHOP = "http://example.org/shop/"


def client(fmt, method="GET"):
    sw = SPARQLWrapper(endpoint)
    sw.setReturnFormat(fmt)
    sw.setMethod(method)
    if token:
        sw.addCustomHttpHeader("Authorization", "Bearer " + token)
    return sw


try:
    sw = client(JSON)
    sw.setQuery("PREFIX schema: <http://schema.org/> SELECT ?item WHERE { ?item schema:brand <%sbrand-net> } ORDER BY ?item" % SHOP)
    res = sw.query().convert()
    print("select", " ".join(b["item"]["value"] for b in res["results"]["bindings"]))

    sw = client(JSON, "POST")
    sw.setQuery("ASK { <%sgrip> <http://schema.org/isAccessoryOrSparePartFor> <%sracket> }" % (SHOP, SHOP))
    print("ask", sw.query().convert()["boolean"])

    sw = client(CSV)
    sw.setQuery("SELECT ?label WHERE { <%sball> <http://www.w3.org/2000/01/rdf-schema#label> ?label }" % SHOP)
    print("csv", sw.query().convert().decode().replace("\r\n", "|").strip("|"))

    sw = client(TURTLE)
    sw.setQuery("CONSTRUCT { ?i <http://schema.org/brand> ?b } WHERE { ?i <http://schema.org/brand> ?b . FILTER(?i = <%sshoes>) }" % SHOP)
    g = sw.query().convert()
    text = g.decode() if isinstance(g, bytes) else g.serialize(format="nt")
    print("construct", "brand-kick" in text and "shoes" in text)
except Exception as e:  # the test prints this on failure
    print("error", type(e).__name__, e)
    sys.exit(1)
