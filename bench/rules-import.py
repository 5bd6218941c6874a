#!/usr/bin/env python3
"""Writes the files of bench/rules-import.sh into DIR, from a fixed seed (the same files on every
run and machine):
  segments.json    a rule file: 100 segments (10 top, 90 children)
  products.json    100,000 products in those segments (for POST /v1/products/import)
  rules.json       a rule file: the 100 segments again and 10,000 promotions
  rules.ndjson     the same documents, one a line
Promotions: targets 60 % 1-3 segments, 25 % 1-5 skus, 10 % a brand, 5 % every product; offers
60 % percent_off (1-50 %), 40 % amount_off_each (0.50-20.00); a third with a min_quantity, a
tenth with validity dates; priorities 0-100.
Usage: bench/rules-import.py DIR"""
import json
import random
import sys

out = sys.argv[1]
rng = random.Random(20261204)
segments = [{"id": f"top-{t}", "name": f"Top {t}"} for t in range(10)]
segments += [
    {"id": f"seg-{t}-{c}", "name": f"Segment {t}.{c}", "parent": f"top-{t}"}
    for t in range(10)
    for c in range(9)
]
leaves = [s["id"] for s in segments if "parent" in s]
brands = [f"brand-{b}" for b in range(50)]
products = [
    {
        "sku": f"SKU-{i:06d}",
        "name": f"Product {i}",
        "price": f"{rng.randint(99, 99_999) / 100:.2f}",
        "tax_rate": "0.20",
        "segments": [rng.choice(leaves)],
        "brand": rng.choice(brands),
    }
    for i in range(100_000)
]


def promotion(i):
    roll = rng.random()
    if roll < 0.60:
        targets = {"segments": rng.sample([s["id"] for s in segments], rng.randint(1, 3))}
    elif roll < 0.85:
        targets = {"skus": [f"SKU-{rng.randrange(100_000):06d}" for _ in range(rng.randint(1, 5))]}
    elif roll < 0.95:
        targets = {"brands": [rng.choice(brands)]}
    else:
        targets = {"all": True}
    if rng.random() < 0.6:
        offer = {"type": "percent_off", "percent": rng.randint(1, 50)}
    else:
        offer = {"type": "amount_off_each", "amount": f"{rng.randint(50, 2000) / 100:.2f}"}
    p = {
        "id": f"promo-{i:05d}",
        "name": f"Promotion {i}",
        "priority": rng.randint(0, 100),
        "targets": targets,
        "offer": offer,
    }
    if rng.random() < 0.33:
        p["conditions"] = {"min_quantity": rng.randint(2, 4)}
    if rng.random() < 0.10:
        p["validity"] = {"starts_at": "2026-11-01T00:00:00", "ends_at": "2027-01-31T23:59:59"}
    return p


promotions = [promotion(i) for i in range(10_000)]


def dump(name, value):
    with open(f"{out}/{name}", "w") as f:
        json.dump(value, f)


dump("segments.json", {"format": "remise.rules/1", "catalog": {"segments": segments}})
dump("products.json", products)
dump("rules.json", {"format": "remise.rules/1", "catalog": {"segments": segments}, "promotions": promotions})
with open(f"{out}/rules.ndjson", "w") as f:
    for s in segments:
        f.write(json.dumps({"segment": s}) + "\n")
    for p in promotions:
        f.write(json.dumps({"promotion": p}) + "\n")
