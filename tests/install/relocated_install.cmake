# Installs the build into a prefix, moves the prefix elsewhere, then configures, builds and runs
# examples/consumer against the moved copy, and runs the moved qyolo binary: both must find the
# installed configs with neither the install location, the source tree nor QYOLO_CONFIGS.
#   cmake -D BUILD_DIR=... -D SOURCE_DIR=... -D WORK_DIR=... -D GENERATOR=...
#         [-D Torch_DIR=...] [-D CCACHE=...] -P relocated_install.cmake

function(run)
  cmake_parse_arguments(ARG "" "OUTPUT" "COMMAND" ${ARGN})
  execute_process(COMMAND ${CMAKE_COMMAND} -E env --unset=QYOLO_CONFIGS ${ARG_COMMAND}
                  WORKING_DIRECTORY ${WORK_DIR}
                  OUTPUT_VARIABLE output ERROR_VARIABLE output RESULT_VARIABLE code)
  if(NOT code EQUAL 0)
    list(JOIN ARG_COMMAND " " command)
    message(FATAL_ERROR "${command} failed (${code}):\n${output}")
  endif()
  if(ARG_OUTPUT)
    set(${ARG_OUTPUT} "${output}" PARENT_SCOPE)
  endif()
endfunction()

function(expect text part)
  string(FIND "${text}" "${part}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "expected '${part}' in:\n${text}")
  endif()
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
run(COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${WORK_DIR}/installed)
file(RENAME ${WORK_DIR}/installed ${WORK_DIR}/moved)
set(prefix ${WORK_DIR}/moved)

set(configure -S ${SOURCE_DIR}/examples/consumer -B ${WORK_DIR}/consumer -G ${GENERATOR}
              -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH=${prefix})
if(Torch_DIR)
  list(APPEND configure -DTorch_DIR=${Torch_DIR})
endif()
if(CCACHE)
  list(APPEND configure -DCMAKE_CXX_COMPILER_LAUNCHER=${CCACHE})
endif()
run(COMMAND ${CMAKE_COMMAND} ${configure})
run(COMMAND ${CMAKE_COMMAND} --build ${WORK_DIR}/consumer)

run(COMMAND ${WORK_DIR}/consumer/qyolo_consumer OUTPUT consumer)
expect("${consumer}" "configs: ${prefix}/share/qyolo/configs\n")
expect("${consumer}" "model: models/yolov5n.yaml, 10 classes, 1777447 parameters")

run(COMMAND ${prefix}/bin/qyolo info --config fashiondet/yolov5n_fp.yaml --img 64 --json OUTPUT info)
expect("${info}" "\"params\": 1777447")
message(STATUS "${consumer}")
