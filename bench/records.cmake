# records stage micro-benchmarks: JSONL (simdjson On-Demand) and CSV rows/s and MB/s, votes-like.
if(TARGET dumpmill::records)
  dumpmill_add_bench(NAME bench_records SOURCES ${CMAKE_CURRENT_LIST_DIR}/bench_records.cpp
    DEPS dumpmill::records)
endif()
