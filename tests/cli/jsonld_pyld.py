"""Compare kgrec's reading of a JSON-LD document with pyld's (python3-pyld, Debian).

usage: jsonld_pyld.py DOC.jsonld KGREC.nq CONTEXT.jsonld

pyld turns DOC into N-Quads (base IRI: the file's file: URI, as kgrec's) with a document loader that serves the schema.org context from
kgrec's bundled copy (CONTEXT), without network access; both sets of quads are then compared
as sets, blank nodes up to renaming. https://schema.org/ IRIs are written as http://schema.org/
(kgrec keeps them so, docs/FEEDS.md) and language tags in lower case (as kgrec stores them).
Prints the differences and exits 1 when there are any."""
import hashlib
import json
import os
import re
import sys

from pyld import jsonld

SCHEMA_URLS = {"https://schema.org", "https://schema.org/", "http://schema.org", "http://schema.org/"}
TERM = re.compile(r'\s*(<[^>]*>|_:\S+|"(?:[^"\\]|\\.)*"(?:@[A-Za-z0-9-]+|\^\^<[^>]*>)?)')


def loader_for(context_path):
    with open(context_path, encoding="utf-8") as f:
        ctx = json.load(f)

    def load(url, options=None):
        if url in SCHEMA_URLS:
            return {"contextUrl": None, "documentUrl": url, "document": ctx}
        raise RuntimeError("no network in this test: " + url)
    return load


def parse(text):
    quads = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        terms, pos = [], 0
        while True:
            m = TERM.match(line, pos)
            if not m:
                break
            terms.append(m.group(1))
            pos = m.end()
        assert line[pos:].strip() == ".", "cannot read: " + line
        if len(terms) == 3:
            terms.append("")
        quads.append(tuple(norm(t) for t in terms))
    return quads


def norm(t):
    t = t.replace("<https://schema.org/", "<http://schema.org/")
    m = re.match(r'^(".*")@([A-Za-z0-9-]+)$', t)
    if m:
        t = m.group(1) + "@" + m.group(2).lower()
    return t


def canon(quads):
    """Blank nodes renamed by colour refinement: each one's colour is a hash of the quads it is
    in, other blank nodes written by their colours, repeated until the colours settle."""
    blanks = {t for q in quads for t in q if t.startswith("_:")}
    colour = {b: "" for b in blanks}
    for _ in range(len(blanks) + 1):
        sig = {b: [] for b in blanks}
        for q in quads:
            for i, t in enumerate(q):
                if t in blanks:
                    sig[t].append((i,) + tuple("*" if u == t else colour.get(u, u) for u in q))
        new = {b: hashlib.sha1(repr(sorted(s)).encode()).hexdigest()[:12] for b, s in sig.items()}
        if len(set(new.values())) == len(set(colour.values())) and _:
            colour = new
            break
        colour = new
    return sorted(tuple("_:" + colour[t] if t in blanks else t for t in q) for q in quads)


def main():
    doc_path, ours_path, ctx_path = sys.argv[1:4]
    with open(doc_path, encoding="utf-8") as f:
        doc = json.load(f)
    # the base IRI kgrec gives a file: its file: URI
    theirs = jsonld.to_rdf(doc, {"format": "application/n-quads", "documentLoader": loader_for(ctx_path),
                                 "base": "file://" + os.path.realpath(doc_path)})
    with open(ours_path, encoding="utf-8") as f:
        ours = f.read()
    a, b = canon(parse(ours)), canon(parse(theirs))
    if a == b:
        print("%s: %d quads, the same as pyld's" % (doc_path, len(a)))
        return 0
    for q in sorted(set(a) - set(b)):
        print("only kgrec:", " ".join(q))
    for q in sorted(set(b) - set(a)):
        print("only pyld: ", " ".join(q))
    if len(a) != len(b):
        print("kgrec %d quads, pyld %d" % (len(a), len(b)))
    return 1


if __name__ == "__main__":
    sys.exit(main())
