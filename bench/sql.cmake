# sql stage micro-benchmarks: export_table rows/s from a generated HDF5 table into SQLite.
dumpmill_add_bench(NAME bench_sql SOURCES ${CMAKE_CURRENT_LIST_DIR}/bench_sql.cpp
  DEPS dumpmill::sql MPI::MPI_CXX)
