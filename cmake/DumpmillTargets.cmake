# Helpers that give every stage library, test and benchmark the same flags.
add_library(dumpmill_flags INTERFACE)
target_compile_options(dumpmill_flags INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
  -Wno-sign-conversion)
if(DUMPMILL_WERROR)
  target_compile_options(dumpmill_flags INTERFACE -Werror)
endif()
# GCC 12 at -O3 reports -Wrestrict inside libstdc++'s inlined std::string operator+ (GCC bug
# 105329, a false positive: "accessing 9223372036854775810 or more bytes"); it broke Release
# builds of correct code twice.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  target_compile_options(dumpmill_flags INTERFACE -Wno-restrict)
endif()
if(DUMPMILL_SANITIZE)
  target_compile_options(dumpmill_flags INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer
    -fno-sanitize-recover=undefined)
  target_link_options(dumpmill_flags INTERFACE -fsanitize=address,undefined)
endif()

# dumpmill_add_stage(NAME name SOURCES ... DEPS ...): library dumpmill_<name>, alias dumpmill::<name>.
function(dumpmill_add_stage)
  cmake_parse_arguments(ARG "" "NAME" "SOURCES;DEPS" ${ARGN})
  add_library(dumpmill_${ARG_NAME} STATIC ${ARG_SOURCES})
  add_library(dumpmill::${ARG_NAME} ALIAS dumpmill_${ARG_NAME})
  target_include_directories(dumpmill_${ARG_NAME} PUBLIC ${PROJECT_SOURCE_DIR}/include)
  target_link_libraries(dumpmill_${ARG_NAME} PUBLIC ${ARG_DEPS} PRIVATE dumpmill_flags)
endfunction()

# dumpmill_add_test(NAME name SOURCES ... DEPS ...): a GoogleTest binary run without MPI.
function(dumpmill_add_test)
  cmake_parse_arguments(ARG "" "NAME" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SOURCES})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main GTest::gmock
    dumpmill_flags)
  target_compile_definitions(${ARG_NAME} PRIVATE
    DUMPMILL_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    DUMPMILL_TEST_DATA="${PROJECT_SOURCE_DIR}/tests/data"
    DUMPMILL_SHARED_DATA="${PROJECT_SOURCE_DIR}/../shared/data")
  add_test(NAME ${ARG_NAME} COMMAND ${ARG_NAME})
  set_tests_properties(${ARG_NAME} PROPERTIES LABELS "unit;${ARG_LABELS}" TIMEOUT 300)
endfunction()

# dumpmill_add_mpi_test(NAME name SOURCES ... DEPS ... RANKS 1 2 4): one binary, one ctest per rank count.
set(DUMPMILL_MPI_ENV
  "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;OMPI_MCA_mpi_yield_when_idle=1;OMPI_MCA_rmaps_base_oversubscribe=1")
function(dumpmill_add_mpi_test)
  cmake_parse_arguments(ARG "" "NAME" "SOURCES;DEPS;RANKS" ${ARGN})
  if(NOT ARG_RANKS)
    set(ARG_RANKS 1 2 4)
  endif()
  add_executable(${ARG_NAME} ${ARG_SOURCES})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS} GTest::gtest MPI::MPI_CXX dumpmill_flags)
  target_compile_definitions(${ARG_NAME} PRIVATE
    DUMPMILL_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    DUMPMILL_TEST_DATA="${PROJECT_SOURCE_DIR}/tests/data"
    DUMPMILL_SHARED_DATA="${PROJECT_SOURCE_DIR}/../shared/data")
  foreach(n IN LISTS ARG_RANKS)
    add_test(NAME ${ARG_NAME}.np${n}
      COMMAND ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} ${n} --oversubscribe ${MPIEXEC_PREFLAGS}
        $<TARGET_FILE:${ARG_NAME}> ${MPIEXEC_POSTFLAGS})
    set_tests_properties(${ARG_NAME}.np${n} PROPERTIES PROCESSORS ${n} LABELS "mpi"
      ENVIRONMENT "${DUMPMILL_MPI_ENV}" TIMEOUT 600)
  endforeach()
endfunction()

# dumpmill_add_bench(NAME name SOURCES ... DEPS ...): a Google Benchmark binary.
function(dumpmill_add_bench)
  cmake_parse_arguments(ARG "" "NAME" "SOURCES;DEPS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SOURCES})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS} benchmark::benchmark dumpmill_flags)
endfunction()
