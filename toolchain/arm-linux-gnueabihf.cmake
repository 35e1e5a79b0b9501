# CMake toolchain file: 32-bit ARM hard-float (Debian armhf), tests under qemu-arm-static.
#   cmake -S . -B build-armhf -DCMAKE_TOOLCHAIN_FILE=toolchain/arm-linux-gnueabihf.cmake
# Needs gcc-arm-linux-gnueabihf, qemu-user-static and the :armhf -dev packages
# (toolchain/cross-build.sh armhf installs them).
set(POSTERM_CROSS_TRIPLET arm-linux-gnueabihf)
set(POSTERM_CROSS_PROCESSOR armv7l)
set(POSTERM_CROSS_DEBARCH armhf)
set(POSTERM_CROSS_QEMU qemu-arm-static)
include(${CMAKE_CURRENT_LIST_DIR}/cmake/DebianCross.cmake)
