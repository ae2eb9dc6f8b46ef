"""Checks that load_table.py (the snippet in docs/hdf5-layout.md) reads a dumpmill table exactly.

Usage: /usr/bin/python3 check_load_table.py FILE.h5   (FILE written by h5_load_table_fixture)
"""
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from load_table import load_table  # noqa: E402

EXPECTED = [
    # prev, curr, type, n, delta, share, hour, flag
    ("", "Main_Page", "link", 0, -1, 0.5, 0, 0),
    ("Quote \"double\" 'single'", "It's", "external", 2**64 - 1, -2**63, -2.25, 23, 1),
    ("Tab\there", "back\\slash", "other", 1, 2**63 - 1, 1e-300, 7, 255),
    ("Ünïcödé_日本語", "emoji 😀", "link", 42, 0, 3.0, 2**32 - 1, 2),
    ("new\nline", "", "ÜberSeite", 7, -7, -0.0, 1, 3),
    ("comma,semicolon;", "Ελληνικά", "external", 1000000, 5, 1e300, 2, 4),
    ("", "", "link", 3, 3, 0.125, 3, 5),
    ("last row", "Z", "other", 99, -99, 99.5, 99, 99),
]
COLUMNS = ["prev", "curr", "type", "n", "delta", "share", "hour", "flag"]
DTYPES = ["object", "object", "category", "uint64", "int64", "float64", "uint32", "uint8"]


def main(path):
    df = load_table(path, "clickstream")
    assert list(df.columns) == COLUMNS, list(df.columns)
    assert [str(t) for t in df.dtypes] == DTYPES, list(df.dtypes)
    assert len(df) == len(EXPECTED), len(df)
    assert list(df["type"].cat.categories) == ["link", "external", "other", "ÜberSeite"]
    for i, want in enumerate(EXPECTED):
        got = tuple(df[c].iloc[i] for c in COLUMNS)
        for column, g, w in zip(COLUMNS, got, want):
            if column == "share":
                assert g == w and math.copysign(1, g) == math.copysign(1, w), (i, column, g, w)
            else:
                assert type(g) is not float and g == w, (i, column, g, w)
    empty = load_table(path, "empty")
    assert list(empty.columns) == ["title", "type", "n"], list(empty.columns)
    assert len(empty) == 0
    print("load_table OK:", len(df), "rows")


if __name__ == "__main__":
    main(sys.argv[1])
