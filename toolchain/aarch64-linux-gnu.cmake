# CMake toolchain file: 64-bit ARM (Debian arm64), tests under qemu-aarch64-static.
#   cmake -S . -B build-arm64 -DCMAKE_TOOLCHAIN_FILE=toolchain/aarch64-linux-gnu.cmake
# Needs gcc-aarch64-linux-gnu, qemu-user-static and the :arm64 -dev packages
# (toolchain/cross-build.sh arm64 installs them).
set(POSTERM_CROSS_TRIPLET aarch64-linux-gnu)
set(POSTERM_CROSS_PROCESSOR aarch64)
set(POSTERM_CROSS_DEBARCH arm64)
set(POSTERM_CROSS_QEMU qemu-aarch64-static)
include(${CMAKE_CURRENT_LIST_DIR}/cmake/DebianCross.cmake)
