"""Reads a file written with dumpmill's libdeflate deflate filter in a fresh process with stock
HDF5 (h5py, zlib inflate) and Python's own zlib on the raw chunks; both must give the data.

Usage: /usr/bin/python3 check_deflate_file.py FILE.h5   (written by h5_deflate_filter_fixture,
which also leaves FILE.h5.<dataset>.bin with the expected raw contents)
"""
import sys
import zlib

import h5py
import numpy as np


def check_dataset(f, path, name, dtype):
    ds = f["t/" + name]
    expected = np.fromfile(path + "." + name + ".bin", dtype=dtype)
    # Stock HDF5 pipeline: deflate level 1 (after shuffle for integers), as H5Pset_deflate set it.
    assert ds.compression == "gzip" and ds.compression_opts == 1, (name, ds.compression)
    got = ds[:]
    assert got.dtype == expected.dtype and np.array_equal(got, expected), name
    # Raw chunks through Python's zlib: each a complete zlib stream of one whole chunk.
    chunk_bytes = ds.chunks[0] * ds.dtype.itemsize
    stored = 0
    for i in range(ds.id.get_num_chunks()):
        info = ds.id.get_chunk_info(i)
        mask, raw = ds.id.read_direct_chunk(info.chunk_offset)
        assert mask == 0, (name, i, mask)
        plain = zlib.decompress(raw)
        assert len(plain) == chunk_bytes, (name, i, len(plain), chunk_bytes)
        if not ds.shuffle:
            begin = info.chunk_offset[0]
            valid = min(ds.chunks[0], len(got) - begin)
            view = np.frombuffer(plain, dtype=ds.dtype)[:valid]
            assert np.array_equal(view, got[begin:begin + valid]), (name, i)
        stored += len(raw)
    return ds.id.get_num_chunks(), stored, got.nbytes


def main(path):
    with h5py.File(path, "r") as f:
        results = {
            "title.bytes": check_dataset(f, path, "title.bytes", np.uint8),
            "noise.bytes": check_dataset(f, path, "noise.bytes", np.uint8),
            "n": check_dataset(f, path, "n", "<u8"),
        }
    chunks, stored, raw = results["title.bytes"]
    assert chunks > 5 and stored < raw * 0.7, results  # text really was compressed
    print("deflate file OK:", {k: v[0] for k, v in results.items()}, "chunks; HDF5",
          h5py.version.hdf5_version)


if __name__ == "__main__":
    main(sys.argv[1])
