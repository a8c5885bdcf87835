# Cross-compiles tfm's runtime for 64-bit ARM Linux with clang and Debian's
# arm64 cross libraries (libc6-dev-arm64-cross, libstdc++-12-dev-arm64-cross,
# binutils-aarch64-linux-gnu; libpcre2-dev:arm64 for the tokenizer):
#   cmake -S . -B build-aarch64 -DTFM_RUNTIME_ONLY=ON \
#         -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake
# The main build does this itself when the libraries are there
# (TFM_AARCH64_RUNTIME).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(TFM_CROSS_TRIPLE aarch64-linux-gnu)
if(NOT TFM_CROSS_CLANG_SUFFIX)
  set(TFM_CROSS_CLANG_SUFFIX -22)
endif()
set(CMAKE_C_COMPILER clang${TFM_CROSS_CLANG_SUFFIX})
set(CMAKE_CXX_COMPILER clang++${TFM_CROSS_CLANG_SUFFIX})
set(CMAKE_C_COMPILER_TARGET ${TFM_CROSS_TRIPLE})
set(CMAKE_CXX_COMPILER_TARGET ${TFM_CROSS_TRIPLE})
# Debian's multiarch layout: the arm64 libraries' pkg-config files.
set(ENV{PKG_CONFIG_LIBDIR}
    /usr/lib/${TFM_CROSS_TRIPLE}/pkgconfig:/usr/share/pkgconfig)
set(CMAKE_FIND_ROOT_PATH /usr/${TFM_CROSS_TRIPLE} /usr/lib/${TFM_CROSS_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64;-L;/usr/${TFM_CROSS_TRIPLE})
