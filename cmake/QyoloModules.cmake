# Helpers that define qyolo's per-layer libraries with a shared precompiled torch header and
# unity builds: the torch headers dominate compile time, so each target pays for them once per
# unity batch instead of once per source file.

set(QYOLO_MODULES "" CACHE INTERNAL "")

option(QYOLO_UNITY_BUILD "Compile each target as a few unity batches" ON)
set(QYOLO_UNITY_BATCH 8 CACHE STRING "Source files per unity batch")

# One target owns each precompiled header and the others reuse it. A PCH is only valid for the
# flags it was built with, so the library and the tests (built without optimisation) each own one.
function(qyolo_add_pch_owner target)
  add_library(${target} OBJECT ${PROJECT_SOURCE_DIR}/cmake/pch.cpp)
  target_link_libraries(${target} PUBLIC torch)
  target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR}/include)
  if(QYOLO_USE_PCH)
    target_precompile_headers(${target} PRIVATE ${PROJECT_SOURCE_DIR}/cmake/pch.h)
  endif()
endfunction()
qyolo_add_pch_owner(qyolo_pch)

# qyolo_use_pch(target [FROM owner]): reuse a precompiled header (qyolo_pch by default).
function(qyolo_use_pch target)
  cmake_parse_arguments(ARG "" "FROM" "" ${ARGN})
  if(NOT ARG_FROM)
    set(ARG_FROM qyolo_pch)
  endif()
  if(QYOLO_USE_PCH)
    target_precompile_headers(${target} REUSE_FROM ${ARG_FROM})
  endif()
endfunction()

function(qyolo_unity target)
  if(QYOLO_UNITY_BUILD)
    set_target_properties(${target} PROPERTIES UNITY_BUILD ON
                                               UNITY_BUILD_BATCH_SIZE ${QYOLO_UNITY_BATCH})
    # A class with a pimpl member from its file's anonymous namespace is fine in its own .cpp;
    # inside a unity file GCC can no longer tell that the .cpp is the main file and warns.
    target_compile_options(${target} PRIVATE -Wno-subobject-linkage)
  endif()
endfunction()

# qyolo_module(name DEPS ...): src/<name>/*.cpp -> static library qyolo_<name>.
function(qyolo_module name)
  cmake_parse_arguments(ARG "" "" "DEPS" ${ARGN})
  file(GLOB_RECURSE sources CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/${name}/*.cpp)
  add_library(qyolo_${name} STATIC ${sources})
  add_library(qyolo::${name} ALIAS qyolo_${name})
  target_include_directories(qyolo_${name} PUBLIC
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
    $<BUILD_INTERFACE:${PROJECT_BINARY_DIR}/include>
    $<INSTALL_INTERFACE:include>)
  target_link_libraries(qyolo_${name} PUBLIC ${ARG_DEPS})
  target_compile_features(qyolo_${name} PUBLIC cxx_std_17)
  target_compile_options(qyolo_${name} PRIVATE -Wall -Wextra -Wno-unused-parameter)
  qyolo_use_pch(qyolo_${name})
  qyolo_unity(qyolo_${name})
  set(QYOLO_MODULES ${QYOLO_MODULES} qyolo_${name} CACHE INTERNAL "")
endfunction()
