# Finds LibTorch: Debian's libtorch-dev (1.13 on Debian 12, 2.6 on Debian 13) or one downloaded
# from pytorch.org, CPU or CUDA, given as -DCMAKE_PREFIX_PATH=/path/to/libtorch or
# -DTorch_DIR=/path/to/libtorch/share/cmake/Torch. The differences between LibTorch versions in
# qyolo's code live in include/qyolo/core/torch_compat.h; this file checks what the build needs.
#
# Sets QYOLO_TORCH_CUDA (LibTorch built with CUDA) and QYOLO_WITH_NCCL (the c10d NCCL backend is
# compiled in; defaults to QYOLO_TORCH_CUDA).

find_package(Torch REQUIRED)

if(Torch_VERSION AND Torch_VERSION VERSION_LESS 1.13)
  message(FATAL_ERROR "qyolo needs LibTorch 1.13 or newer; ${TORCH_INSTALL_PREFIX} has ${Torch_VERSION}")
endif()

# LibTorch archives were published for two C++ ABIs. qyolo also links Debian's C++ libraries
# (yaml-cpp, spdlog, OpenCV, ONNX), which use the C++11 ABI: with the pre-C++11 archive every
# std::string in their interfaces fails to link, so say so here instead.
if(TORCH_CXX_FLAGS MATCHES "_GLIBCXX_USE_CXX11_ABI=0")
  message(FATAL_ERROR
    "The LibTorch in ${TORCH_INSTALL_PREFIX} is built with the pre-C++11 ABI "
    "(_GLIBCXX_USE_CXX11_ABI=0), which cannot link with the distribution's C++ libraries qyolo "
    "uses. Download the cxx11 ABI archive (libtorch-cxx11-abi-shared-with-deps-*.zip).")
endif()

if(TORCH_CUDA_LIBRARIES)
  set(QYOLO_TORCH_CUDA ON)
else()
  set(QYOLO_TORCH_CUDA OFF)
endif()
option(QYOLO_WITH_NCCL "Compile the c10d NCCL backend (needs a LibTorch built with CUDA and NCCL)"
       ${QYOLO_TORCH_CUDA})
if(QYOLO_WITH_NCCL AND NOT QYOLO_TORCH_CUDA)
  message(FATAL_ERROR "QYOLO_WITH_NCCL needs a LibTorch built with CUDA; ${TORCH_INSTALL_PREFIX} has none")
endif()

set(_qyolo_backends gloo)
if(QYOLO_WITH_NCCL)
  list(APPEND _qyolo_backends nccl)
endif()
list(JOIN _qyolo_backends ", " _qyolo_backends)
message(STATUS "qyolo: LibTorch ${Torch_VERSION} in ${TORCH_INSTALL_PREFIX}, CUDA ${QYOLO_TORCH_CUDA}, "
               "c10d backends: ${_qyolo_backends}")
