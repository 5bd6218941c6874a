#!/usr/bin/env python3
"""A generated catalog CSV for the import benchmark (bench/catalog-import.sh).

    bench/catalog.py ROWS > catalog.csv        # rows; segments seg-001..seg-200 must exist
    bench/catalog.py --segments                 # the 200 segment ids, one a line

Deterministic (a fixed seed): sku, name, price (0.99 to 999.99, 2 decimals), tax_rate (0.20, 0.055
or 0.10), 2 segments of 200, a brand of 500 (none for 5 %), 2 tags of 40, `attr.color` (12 values,
80 %) and `attr.size` (6 values, 50 %). About 110 bytes a row.
"""
import random
import sys

SEGMENTS = [f"seg-{i:03}" for i in range(1, 201)]
BRANDS = [f"Brand {i:03}" for i in range(1, 501)]
TAGS = [f"tag{i:02}" for i in range(1, 41)]
COLORS = ["red", "blue", "green", "black", "white", "yellow", "pink", "grey", "orange", "purple",
          "brown", "beige"]
SIZES = ["XS", "S", "M", "L", "XL", "XXL"]
WORDS = ["Puzzle", "Figurine", "Tasse", "Jeu", "Peluche", "Livre", "Ballon", "Robot", "Train",
         "Poupée", "Cube", "Carte", "Dé", "Voiture", "Château"]


def main() -> None:
    if sys.argv[1:] == ["--segments"]:
        print("\n".join(SEGMENTS))
        return
    rows = int(sys.argv[1])
    rng = random.Random(20260611)
    out = sys.stdout
    out.write("sku,name,price,tax_rate,segments,brand,tags,attr.color,attr.size\n")
    for i in range(rows):
        cents = rng.randrange(99, 100_000)
        tax = rng.choices(["0.20", "0.055", "0.10"], weights=[80, 15, 5])[0]
        segments = "|".join(rng.sample(SEGMENTS, 2))
        brand = rng.choice(BRANDS) if rng.random() < 0.95 else ""
        tags = "|".join(rng.sample(TAGS, 2))
        color = rng.choice(COLORS) if rng.random() < 0.8 else ""
        size = rng.choice(SIZES) if rng.random() < 0.5 else ""
        name = f"{rng.choice(WORDS)} {rng.choice(COLORS)} n°{i}"
        out.write(f"SKU-{i:07},{name},{cents // 100}.{cents % 100:02},{tax},{segments},"
                  f"{brand},{tags},{color},{size}\n")


if __name__ == "__main__":
    main()
