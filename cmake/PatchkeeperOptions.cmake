# Compiler flags shared by every patchkeeper target, collected on one
# interface library so that third-party code is not affected.

add_library(pk_options INTERFACE)
add_library(pk::options ALIAS pk_options)

target_compile_options(pk_options INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
  -Wnon-virtual-dtor -Wold-style-cast -Wimplicit-fallthrough
  # Designated initializers that leave fields out value-initialize them;
  # g++ 12 still warns about it.
  -Wno-missing-field-initializers)

if(PK_WARNINGS_AS_ERRORS)
  target_compile_options(pk_options INTERFACE -Werror)
  # g++ 12 at -O1 with the sanitizers reports maybe-uninitialized inside
  # libstdc++'s <regex>, not in patchkeeper's code: keep it a warning.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(pk_options INTERFACE -Wno-error=maybe-uninitialized)
  endif()
endif()

if(PK_SANITIZERS)
  target_compile_options(pk_options INTERFACE
    -fsanitize=${PK_SANITIZERS} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  target_link_options(pk_options INTERFACE -fsanitize=${PK_SANITIZERS})
endif()

if(PK_BUILD_FUZZERS)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "Fuzz targets need clang; use the 'fuzz' preset")
  endif()
  # Libraries get coverage instrumentation; only the fuzz executables link
  # libFuzzer's main().
  target_compile_options(pk_options INTERFACE
    -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
  target_link_options(pk_options INTERFACE -fsanitize=address,undefined)
endif()
