#!/usr/bin/env python3
"""Checks a node's DCAT catalog with rdflib: both serialisations parse and describe the same datasets.

Usage: python3 scripts/check_dcat.py http://127.0.0.1:8080 [--expect N]
Needs rdflib (pip install rdflib). Fetches /catalog.ttl and /catalog.jsonld, parses each, and checks that
  - there is exactly one dcat:Catalog, linked by dcat:dataset to every dcat:Dataset;
  - every dataset has dct:identifier, dct:title, dcat:landingPage and at least one dcat:distribution;
  - the Turtle and the JSON-LD hold the same triples (compared without blank nodes, and by count);
  - with --expect, that there are N datasets.
Exits with status 1 and says why when a check fails.
"""
import argparse
import sys
import time
import urllib.request

from rdflib import BNode, Graph, Namespace
from rdflib.namespace import DCTERMS, RDF

DCAT = Namespace("http://www.w3.org/ns/dcat#")


def load(url, syntax):
    started = time.monotonic()
    with urllib.request.urlopen(url) as response:
        content_type = response.headers.get("Content-Type")
        data = response.read()
    graph = Graph()
    graph.parse(data=data, format=syntax, publicID=url)
    print(f"{url}: {content_type}, {len(data)} bytes, {len(graph)} triples, "
          f"{time.monotonic() - started:.1f} s")
    return graph


def describe(name, graph):
    catalogs = set(graph.subjects(RDF.type, DCAT.Catalog))
    datasets = set(graph.subjects(RDF.type, DCAT.Dataset))
    distributions = set(graph.subjects(RDF.type, DCAT.Distribution))
    print(f"  {name}: {len(catalogs)} dcat:Catalog, {len(datasets)} dcat:Dataset, "
          f"{len(distributions)} dcat:Distribution")
    problems = []
    if len(catalogs) != 1:
        problems.append(f"{name}: expected one dcat:Catalog, found {len(catalogs)}")
    else:
        listed = set(graph.objects(next(iter(catalogs)), DCAT.dataset))
        if listed != datasets:
            problems.append(f"{name}: the catalog lists {len(listed)} datasets but {len(datasets)} are described")
    for dataset in datasets:
        for predicate in (DCTERMS.identifier, DCTERMS.title, DCAT.landingPage, DCAT.distribution):
            if graph.value(dataset, predicate) is None:
                problems.append(f"{name}: {dataset} has no {graph.qname(predicate)}")
    return datasets, problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", help="the node's base URL, e.g. http://127.0.0.1:8080")
    parser.add_argument("--expect", type=int, help="the number of datasets there must be")
    arguments = parser.parse_args()
    base = arguments.base.rstrip("/")

    turtle = load(f"{base}/catalog.ttl", "turtle")
    jsonld = load(f"{base}/catalog.jsonld", "json-ld")
    turtle_datasets, problems = describe("Turtle", turtle)
    jsonld_datasets, more = describe("JSON-LD", jsonld)
    problems += more

    if turtle_datasets != jsonld_datasets:
        problems.append("the two serialisations describe different datasets")
    if len(turtle) != len(jsonld):
        problems.append(f"triple counts differ: Turtle {len(turtle)}, JSON-LD {len(jsonld)}")
    ground = lambda graph: {t for t in graph if not any(isinstance(term, BNode) for term in t)}
    difference = ground(turtle) ^ ground(jsonld)
    if difference:
        problems.append(f"{len(difference)} triples without blank nodes differ, e.g. {sorted(difference)[:3]}")
    if arguments.expect is not None and len(turtle_datasets) != arguments.expect:
        problems.append(f"expected {arguments.expect} datasets, found {len(turtle_datasets)}")

    for problem in problems[:20]:
        print("FAIL:", problem)
    if problems:
        sys.exit(1)
    print(f"OK: {len(turtle_datasets)} datasets, identical in Turtle and JSON-LD")


if __name__ == "__main__":
    main()
