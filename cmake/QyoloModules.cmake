# Helpers that define qyolo's per-layer libraries with a shared precompiled torch header.

set(QYOLO_MODULES "" CACHE INTERNAL "")

# The one target that owns the precompiled header; every other target reuses it.
add_library(qyolo_pch OBJECT ${PROJECT_SOURCE_DIR}/cmake/pch.cpp)
target_link_libraries(qyolo_pch PUBLIC ${TORCH_LIBRARIES})
target_include_directories(qyolo_pch PUBLIC ${PROJECT_SOURCE_DIR}/include)
if(QYOLO_USE_PCH)
  target_precompile_headers(qyolo_pch PRIVATE ${PROJECT_SOURCE_DIR}/cmake/pch.h)
endif()

function(qyolo_use_pch target)
  if(QYOLO_USE_PCH)
    target_precompile_headers(${target} REUSE_FROM qyolo_pch)
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
  target_compile_options(qyolo_${name} PRIVATE -Wall -Wextra -Wno-unused-parameter)
  qyolo_use_pch(qyolo_${name})
  set(QYOLO_MODULES ${QYOLO_MODULES} qyolo_${name} CACHE INTERNAL "")
endfunction()
