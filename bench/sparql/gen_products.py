#!/usr/bin/env python3
"""Writes a synthetic product catalog as N-Triples for the SPARQL benchmarks.

usage: gen_products.py N_PRODUCTS > catalog.nt

Each product has about 14 triples (type, name, label, brand, category, price, rating,
release date, two related products, and a blank-node offer with type, price, seller).
Categories form a 3-level skos:broader taxonomy (10 top, 100 middle, 1000 leaf); 500 brands,
50 sellers. Deterministic (fixed seed): N=72000 gives about 1.0M triples.
"""
import random
import sys

EX = "http://example.org/bench/"
S = "http://schema.org/"
SKOS = "http://www.w3.org/2004/02/skos/core#"
RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
RDFS_LABEL = "<http://www.w3.org/2000/01/rdf-schema#label>"
XSD = "http://www.w3.org/2001/XMLSchema#"


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 72000
    rnd = random.Random(42)
    out = sys.stdout
    w = out.write
    for t in range(10):
        w(f"<{EX}cat/{t}> {RDF_TYPE} <{SKOS}Concept> .\n")
        w(f"<{EX}cat/{t}> <{SKOS}prefLabel> \"Top {t}\"@en .\n")
    for m in range(100):
        w(f"<{EX}cat/{m // 10}-{m}> {RDF_TYPE} <{SKOS}Concept> .\n")
        w(f"<{EX}cat/{m // 10}-{m}> <{SKOS}broader> <{EX}cat/{m // 10}> .\n")
    for leaf in range(1000):
        m = leaf // 10
        w(f"<{EX}cat/{m // 10}-{m}-{leaf}> {RDF_TYPE} <{SKOS}Concept> .\n")
        w(f"<{EX}cat/{m // 10}-{m}-{leaf}> <{SKOS}broader> <{EX}cat/{m // 10}-{m}> .\n")
    for b in range(500):
        w(f"<{EX}brand/{b}> {RDF_TYPE} <{S}Brand> .\n")
        w(f"<{EX}brand/{b}> <{S}name> \"Brand {b}\" .\n")
    for s in range(50):
        w(f"<{EX}seller/{s}> {RDF_TYPE} <{S}Organization> .\n")
    for i in range(n):
        p = f"<{EX}product/{i}>"
        leaf = rnd.randrange(1000)
        m = leaf // 10
        price = rnd.randrange(199, 50000) / 100
        w(f"{p} {RDF_TYPE} <{S}Product> .\n")
        w(f"{p} <{S}name> \"Product {i}\" .\n")
        w(f"{p} {RDFS_LABEL} \"Product {i}\"@en .\n")
        w(f"{p} <{S}brand> <{EX}brand/{rnd.randrange(500)}> .\n")
        w(f"{p} <{S}category> <{EX}cat/{m // 10}-{m}-{leaf}> .\n")
        w(f"{p} <{S}price> \"{price:.2f}\"^^<{XSD}decimal> .\n")
        w(f"{p} <{S}ratingValue> \"{rnd.randrange(1, 6)}\"^^<{XSD}integer> .\n")
        w(f"{p} <{S}releaseDate> \"20{rnd.randrange(10, 25)}-0{rnd.randrange(1, 10)}-1{rnd.randrange(0, 10)}\"^^<{XSD}date> .\n")
        for _ in range(2):
            w(f"{p} <{S}isRelatedTo> <{EX}product/{rnd.randrange(n)}> .\n")
        w(f"{p} <{S}offers> _:o{i} .\n")
        w(f"_:o{i} {RDF_TYPE} <{S}Offer> .\n")
        w(f"_:o{i} <{S}price> \"{price * 0.9:.2f}\"^^<{XSD}decimal> .\n")
        w(f"_:o{i} <{S}seller> <{EX}seller/{rnd.randrange(50)}> .\n")


if __name__ == "__main__":
    main()
