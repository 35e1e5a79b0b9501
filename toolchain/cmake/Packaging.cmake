# Packaging: `cpack -G DEB` in a build tree makes posterm_<version>_<arch>.deb for the build's
# target (amd64 natively; arm64/armhf with the toolchain files in toolchain/).
#
# What a terminal gets: /usr/bin/posterm (stripped), a systemd unit that starts at boot without
# waiting for the network and restarts on failure, the scanner's and the printer's udev rules, a default config
# /etc/posterm/posterm.json, /etc/posterm/keys/ and the journal directory /var/lib/posterm/,
# both 0700 and owned by the service user `posterm` that postinst creates.
# tests/package checks all of this on the built package.
if(NOT TARGET posterm)
  return()
endif()

set(_pkg ${PROJECT_SOURCE_DIR}/toolchain/package)

# Debian 12 still ships units and udev rules under /lib (usrmerge makes it /usr/lib as well).
install(FILES ${_pkg}/posterm.service DESTINATION /lib/systemd/system)
install(FILES ${PROJECT_SOURCE_DIR}/drivers/scanner/99-posterm-scanner.rules
              ${PROJECT_SOURCE_DIR}/drivers/printer/99-posterm-printer.rules
        DESTINATION /lib/udev/rules.d)
# The shipped example is the default: it documents every key, and the keys it names are the
# ones an operator puts in /etc/posterm/keys/.
install(FILES ${PROJECT_SOURCE_DIR}/app/posterm.example.json DESTINATION /etc/posterm
        RENAME posterm.json PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ)
install(DIRECTORY DESTINATION /etc/posterm/keys
        DIRECTORY_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE)
install(DIRECTORY DESTINATION /var/lib/posterm
        DIRECTORY_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE)

# The target's Debian architecture: the toolchain file says it when cross compiling.
if(POSTERM_CROSS_DEBARCH)
  set(_debarch ${POSTERM_CROSS_DEBARCH})
else()
  execute_process(COMMAND dpkg --print-architecture OUTPUT_VARIABLE _debarch
                  OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE _rc)
  if(NOT _rc EQUAL 0)
    set(_debarch amd64)
  endif()
endif()

# Dependencies are named, not computed by dpkg-shlibdeps: that needs the target's libraries
# registered with dpkg, which a sysroot cross build does not have. The package test checks
# that every library the binary needs (its DT_NEEDED) is provided by one of these.
set(POSTERM_DEB_DEPENDS
  "libc6 (>= 2.34), libsqlite3-0 (>= 3.40), libcjson1, libcurl4 (>= 7.88), libmbedcrypto7, libmbedx509-1, libusb-1.0-0, libqrencode4, passwd")
if(POSTERM_WITH_UI)
  string(APPEND POSTERM_DEB_DEPENDS ", libncursesw6, libtinfo6")
endif()

# conffiles: dpkg keeps an operator's edits to the config across upgrades.
file(WRITE ${PROJECT_BINARY_DIR}/package-control/conffiles "/etc/posterm/posterm.json\n")
file(COPY ${_pkg}/postinst ${_pkg}/prerm ${_pkg}/postrm
     DESTINATION ${PROJECT_BINARY_DIR}/package-control
     FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
                      WORLD_READ WORLD_EXECUTE)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME posterm)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "posterm maintainers <posterm@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "checkout-counter client for WeChat Pay and Alipay barcode payments")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE ${_debarch})
set(CPACK_DEBIAN_PACKAGE_SECTION misc)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "${POSTERM_DEB_DEPENDS}")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
  "posterm reads the customer's payment code from a USB scanner, charges it through the\n\
payment gateway and keeps every payment in a crash-safe SQLite journal, so a terminal\n\
that lost power resumes each unresolved payment after the reboot.")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${PROJECT_BINARY_DIR}/package-control/conffiles
  ${PROJECT_BINARY_DIR}/package-control/postinst
  ${PROJECT_BINARY_DIR}/package-control/prerm
  ${PROJECT_BINARY_DIR}/package-control/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# Only the program and its files: not the static libraries or test programs of the tree.
set(CPACK_INSTALL_CMAKE_PROJECTS "${PROJECT_BINARY_DIR};${PROJECT_NAME};ALL;/")
include(CPack)
