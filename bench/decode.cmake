# Decode-only benchmark of one gzip file at any rank count (bench/decode.sh drives it with mpirun).
add_executable(dumpmill-bench-decode ${CMAKE_CURRENT_LIST_DIR}/bench_decode.cpp)
target_link_libraries(dumpmill-bench-decode PRIVATE dumpmill::plan dumpmill::shuffle)
