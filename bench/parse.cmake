# Parse stage micro-benchmarks: scanner, parser, and both, over generated clickstream lines.
dumpmill_add_bench(NAME bench_parse SOURCES ${CMAKE_CURRENT_LIST_DIR}/bench_parse.cpp DEPS dumpmill::parse)
