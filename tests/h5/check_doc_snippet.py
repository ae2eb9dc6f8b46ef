"""Checks that the ```python block of docs/hdf5-layout.md is exactly tests/h5/load_table.py.

Usage: /usr/bin/python3 check_doc_snippet.py DOC.md SNIPPET.py
"""
import difflib
import re
import sys


def main(doc_path, snippet_path):
    with open(doc_path, encoding="utf-8") as f:
        blocks = re.findall(r"^```python\n(.*?)^```$", f.read(), flags=re.S | re.M)
    with open(snippet_path, encoding="utf-8") as f:
        snippet = f.read()
    if len(blocks) != 1:
        sys.exit(f"{doc_path}: expected exactly one ```python block, found {len(blocks)}")
    if blocks[0] != snippet:
        sys.stdout.writelines(difflib.unified_diff(
            snippet.splitlines(True), blocks[0].splitlines(True), snippet_path, doc_path))
        sys.exit(f"{doc_path}: the python block differs from {snippet_path}")
    print("doc snippet matches", snippet_path)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
