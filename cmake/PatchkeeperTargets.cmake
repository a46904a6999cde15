# Helpers that give every component the same shape: one library per folder
# under src/, and one GoogleTest binary per component in its tests/ folder.

# pk_add_component(NAME SOURCES ... [DEPS ...])
# Builds the static library pk_<NAME> with the alias pk::<NAME>. Headers are
# included as "<component>/<file>.h" from src/.
function(pk_add_component name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(pk_${name} STATIC ${ARG_SOURCES})
  add_library(pk::${name} ALIAS pk_${name})
  target_include_directories(pk_${name} PUBLIC "${PROJECT_SOURCE_DIR}/src")
  target_link_libraries(pk_${name} PUBLIC ${ARG_DEPS} PRIVATE pk::options)
endfunction()

# pk_add_test(NAME SOURCES ... [DEPS ...] [LABELS ...] [ENVIRONMENT NAME=VALUE]
#             [RESOURCE_LOCK NAME])
# Builds one GoogleTest binary and registers each of its tests with CTest.
# Tests carry the label "unit" unless LABELS names another (for example
# "differential", "slow", "network"), so `ctest -L unit` stays fast.
# ENVIRONMENT sets one variable for every test of the binary when CTest
# runs it, for example PK_STORE_REPLAY_WRITES=1.
function(pk_add_test name)
  if(NOT PK_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(ARG "" "ENVIRONMENT;RESOURCE_LOCK" "SOURCES;DEPS;LABELS" ${ARGN})
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main
                                        pk::options)
  target_compile_definitions(${name} PRIVATE
    PK_SHARED_DATA_DIR="${PK_SHARED_DATA_DIR}")
  # GTEST_SKIP() shows as skipped rather than passed. gtest_discover_tests
  # flattens its PROPERTIES, so a test binary carries exactly one label.
  list(LENGTH ARG_LABELS label_count)
  if(NOT label_count EQUAL 1)
    message(FATAL_ERROR "pk_add_test(${name}): give exactly one label, not '${ARG_LABELS}'")
  endif()
  # For the same reason ENVIRONMENT takes one variable: a list would be
  # flattened into separate property arguments.
  set(environment_property)
  if(ARG_ENVIRONMENT)
    if(NOT ARG_ENVIRONMENT MATCHES "^[A-Za-z_][A-Za-z0-9_]*=[^;]*$")
      message(FATAL_ERROR
        "pk_add_test(${name}): ENVIRONMENT takes one NAME=VALUE, not '${ARG_ENVIRONMENT}'")
    endif()
    set(environment_property ENVIRONMENT "${ARG_ENVIRONMENT}")
  endif()
  # RESOURCE_LOCK names a resource that the binary's tests must not share
  # with other tests running at the same time, such as X displays.
  set(lock_property)
  if(ARG_RESOURCE_LOCK)
    set(lock_property RESOURCE_LOCK "${ARG_RESOURCE_LOCK}")
  endif()
  gtest_discover_tests(${name}
    PROPERTIES LABELS "${ARG_LABELS}" SKIP_REGULAR_EXPRESSION "\\[  SKIPPED \\]"
               ${environment_property} ${lock_property}
    DISCOVERY_TIMEOUT 60)
endfunction()

# pk_add_fuzzer(NAME SOURCES ... [DEPS ...])
function(pk_add_fuzzer name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} pk::options)
  target_link_options(${name} PRIVATE -fsanitize=fuzzer)
  set_property(GLOBAL APPEND PROPERTY PK_FUZZERS ${name})
endfunction()
