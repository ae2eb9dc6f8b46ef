"""Load one dumpmill table from an HDF5 results file into a pandas DataFrame."""
import sys

import h5py
import pandas as pd


def load_table(path, group):
    """Return table `group` of the dumpmill HDF5 file `path` as a pandas.DataFrame."""
    columns = {}
    with h5py.File(path, "r") as f:
        table = f[group]
        # Columns in the order they were written (the writer tracks creation order).
        names = []
        table.id.links.iterate(names.append, idx_type=h5py.h5.INDEX_CRT_ORDER)
        for name in (n.decode() for n in names):
            ds = table[name]
            if name.endswith(".offsets") or not isinstance(ds, h5py.Dataset):
                continue
            if name.endswith(".bytes"):
                # String column: UTF-8 bytes + (rows + 1) offsets; row i is
                # bytes[offsets[i]:offsets[i + 1]].
                column = name[: -len(".bytes")]
                data = ds[()].tobytes()
                offsets = table[column + ".offsets"][()].tolist()
                columns[column] = pd.Series(
                    [data[a:b].decode("utf-8", "replace")
                     for a, b in zip(offsets[:-1], offsets[1:])],
                    dtype=object)
            elif "dictionary" in ds.attrs:
                # Dictionary column: uint8 codes index the "dictionary" attribute.
                columns[name] = pd.Categorical.from_codes(
                    ds[()], categories=list(ds.attrs["dictionary"]))
            else:
                columns[name] = ds[()]
    return pd.DataFrame(columns)


if __name__ == "__main__":
    print(load_table(sys.argv[1], sys.argv[2]).to_string())
