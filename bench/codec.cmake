# codec stage micro-benchmarks: ISA-L vs zlib decode, index build, mid-file checkpoints, block finder.
dumpmill_add_bench(NAME bench_codec SOURCES ${CMAKE_CURRENT_LIST_DIR}/bench_codec.cpp
  DEPS dumpmill::codec ZLIB::ZLIB)
