# Shared body of the ARM toolchain files: build for Debian's multiarch layout.
# Promises: compilers are Debian's <triplet>-gcc cross compilers; headers and libraries
# come from the <triplet> multiarch -dev packages (/usr/lib/<triplet>, /usr/include/<triplet>)
# and never from the build machine's own; ctest runs the ARM test programs through qemu-user.
# The caller sets POSTERM_CROSS_TRIPLET, POSTERM_CROSS_PROCESSOR and POSTERM_CROSS_QEMU.

set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR ${POSTERM_CROSS_PROCESSOR})

set(CMAKE_C_COMPILER ${POSTERM_CROSS_TRIPLET}-gcc)
set(CMAKE_CXX_COMPILER ${POSTERM_CROSS_TRIPLET}-g++)
set(CMAKE_STRIP ${POSTERM_CROSS_TRIPLET}-strip CACHE FILEPATH "strip for the target")

# With the library architecture set, find_library() looks in /usr/lib/<triplet> and never in
# /usr/lib/x86_64-linux-gnu, so FindMbedTLS (plain find_library) picks the target's libraries.
set(CMAKE_LIBRARY_ARCHITECTURE ${POSTERM_CROSS_TRIPLET})

# POSTERM_CROSS_SYSROOT: the same Debian packages unpacked into a directory instead of installed
# (cross-build.sh falls back to it when the mirror cannot satisfy a multiarch install).
set(CMAKE_TRY_COMPILE_PLATFORM_VARIABLES POSTERM_CROSS_SYSROOT)
if(POSTERM_CROSS_SYSROOT)
  set(CMAKE_SYSROOT ${POSTERM_CROSS_SYSROOT})
  set(CMAKE_FIND_ROOT_PATH ${POSTERM_CROSS_SYSROOT})
  set(ENV{PKG_CONFIG_SYSROOT_DIR} ${POSTERM_CROSS_SYSROOT})
else()
  # The cross toolchain's own root first (libc, crt files), then the multiarch system.
  set(CMAKE_FIND_ROOT_PATH /usr/${POSTERM_CROSS_TRIPLET} /)
endif()
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)   # build tools (pkg-config, sh) are the host's
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# pkg-config must read the target's .pc files only: a host .pc file would hand the
# linker x86-64 libraries. PKG_CONFIG_LIBDIR replaces the default search path entirely.
set(ENV{PKG_CONFIG_LIBDIR} ${POSTERM_CROSS_SYSROOT}/usr/lib/${POSTERM_CROSS_TRIPLET}/pkgconfig:${POSTERM_CROSS_SYSROOT}/usr/share/pkgconfig)
set(ENV{PKG_CONFIG_PATH} "")

# ctest prefixes every test whose command is an executable target with this.
# With the multiarch libc6:<arch> installed, the target's loader and libraries are where the
# program asks for them and qemu needs no -L. (Measured: qemu-aarch64-static with
# -L /usr/aarch64-linux-gnu hangs a child after fork()+setuid(); without -L it does not.)
# A sysroot build has them only in the sysroot, which -L supplies.
find_program(POSTERM_QEMU_PROGRAM ${POSTERM_CROSS_QEMU} REQUIRED)
if(POSTERM_CROSS_SYSROOT)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${POSTERM_QEMU_PROGRAM} -L ${POSTERM_CROSS_SYSROOT})
else()
  set(CMAKE_CROSSCOMPILING_EMULATOR ${POSTERM_QEMU_PROGRAM})
endif()
