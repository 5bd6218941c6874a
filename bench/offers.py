#!/usr/bin/env python3
"""A generated wholesaler for the offers import benchmark (bench/offers-import.sh).

    bench/offers.py DIR [OFFERS] [DISCOUNTS_PER_OFFER]     # default 20,000 offers x 50 discounts

Writes into DIR (deterministic, a fixed seed):
- setup.ndjson: the 200 segments seg-001..seg-200 of bench/catalog.py and 200 customer groups
  grp-001..grp-200 (for `remise import rules`);
- offers.csv: seed 004's offers file (BOM, `;`, CRLF): a tenth for every customer (TOUS), 40 % for
  one of the 200 groups (GROUPE), half for one of 5,000 customers (CLIENT); a tenth public
  procurement with dates, commercial offers half with dates;
- discounts.csv: the commitments and discounts file (`;`, decimal commas), DISCOUNTS_PER_OFFER
  rows per offer in 1 to 3 commitments: 80 % on one of 100,000 skus (SKU-0000000..), 20 % on a
  segment; 70 % fixed prices, 30 % percentages; a fifth with two quantity breaks, a tenth with a
  minimum quantity. About 55 bytes a row.
"""
import random
import sys
from pathlib import Path

OFFERS_HEADER = ("Code;Type;Libelle type;Intitulé;Type de périmètre;Code périmètre;"
                 "Libellé périmètre;Date début;Date fin;Afficher l'offre sur la boutique virtuelle")
DISCOUNTS_HEADER = ("Code offre;Numéro engagement;Début engagement;Fin engagement;Code remise;"
                    "Référence produit;Code secteur;Prix;Pourcentage;Quantité minimum;Paliers")
SEGMENTS = [f"seg-{i:03}" for i in range(1, 201)]
GROUPS = [f"grp-{i:03}" for i in range(1, 201)]


def decimal(cents: int) -> str:
    return f"{cents // 100},{cents % 100:02}"


def main() -> None:
    out = Path(sys.argv[1])
    offers = int(sys.argv[2]) if len(sys.argv) > 2 else 20_000
    per_offer = int(sys.argv[3]) if len(sys.argv) > 3 else 50
    rng = random.Random(20261204)
    with open(out / "setup.ndjson", "w") as f:
        for s in SEGMENTS:
            f.write(f'{{"segment": {{"id": "{s}", "name": "{s}"}}}}\n')
        for g in GROUPS:
            f.write(f'{{"customer_group": {{"id": "{g}", "name": "Groupe {g}", "display": "net"}}}}\n')
    with open(out / "offers.csv", "w", newline="") as o, \
            open(out / "discounts.csv", "w", newline="") as d:
        o.write("\ufeff" + OFFERS_HEADER + "\r\n")
        d.write(DISCOUNTS_HEADER + "\n")
        for i in range(offers):
            code = f"OFF{i:06}"
            draw = rng.random()
            if draw < 0.1:
                scope, scope_code, label = "TOUS", "", "Tous les clients"
            elif draw < 0.5:
                scope_code = rng.choice(GROUPS)
                scope, label = "GROUPE", f"Groupe {scope_code}"
            else:
                scope, scope_code, label = "CLIENT", f"C{rng.randrange(5000):05}", ""
            public = rng.random() < 0.1
            dated = public or rng.random() < 0.5
            year = rng.choice([2026, 2027])
            starts, ends = (f"01/01/{year}", f"31/12/{year}") if dated else ("", "")
            kind, kind_label = ("1", "Marché public") if public else ("0", "Offre commerciale")
            show = "1" if rng.random() < 0.5 else "0"
            o.write(f"{code};{kind};{kind_label};Offre {i};{scope};{scope_code};{label};"
                    f"{starts};{ends};{show}\r\n")
            commitments = rng.randint(1, 3)
            for j in range(per_offer):
                number = 1 + j % commitments
                c_starts, c_ends = "", ""
                if dated and commitments > 1:
                    half = "30/06" if number == 1 else "31/12"
                    c_starts = f"01/01/{year}" if number == 1 else f"01/07/{year}"
                    c_ends = f"{half}/{year}"
                if rng.random() < 0.8:
                    sku, segment = f"SKU-{rng.randrange(100_000):07}", ""
                else:
                    sku, segment = "", rng.choice(SEGMENTS)
                cents = rng.randrange(99, 50_000)
                breaks = ""
                if rng.random() < 0.7:
                    price, percent = decimal(cents), ""
                    if rng.random() < 0.2:
                        breaks = f"10={decimal(cents * 95 // 100)}|50={decimal(cents * 90 // 100)}"
                else:
                    pct = rng.randrange(1, 40)
                    price, percent = "", str(pct)
                    if rng.random() < 0.2:
                        breaks = f"10={pct + 2}|50={pct + 5}"
                minimum = str(rng.randrange(2, 6)) if rng.random() < 0.1 else ""
                d.write(f"{code};{number};{c_starts};{c_ends};R{j:03};{sku};{segment};"
                        f"{price};{percent};{minimum};{breaks}\n")


if __name__ == "__main__":
    main()
