# aggregate stage micro-benchmarks: KeyedTable vs std::unordered_map, hash_bytes, PairReducer.
dumpmill_add_bench(NAME bench_aggregate SOURCES ${CMAKE_CURRENT_LIST_DIR}/bench_aggregate.cpp
  DEPS dumpmill::aggregate)
execute_process(COMMAND git -C ${PROJECT_SOURCE_DIR} rev-parse --short HEAD
  OUTPUT_VARIABLE DUMPMILL_BENCH_AGGREGATE_COMMIT OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
target_compile_definitions(bench_aggregate PRIVATE
  DUMPMILL_GIT_COMMIT="${DUMPMILL_BENCH_AGGREGATE_COMMIT}")
