# h5 stage micro-benchmarks: column write/read throughput and file size per chunk size and filter;
# zlib vs libdeflate deflate (ZLIB::ZLIB for HDF5's own filter redone in the benchmark).
dumpmill_add_bench(NAME bench_h5 SOURCES ${CMAKE_CURRENT_LIST_DIR}/bench_h5.cpp
  DEPS dumpmill::h5 MPI::MPI_CXX ZLIB::ZLIB)
