# Packaging: `cpack -G DEB` in a build tree makes posterm_<version>_<arch>.deb for the build's
# target (amd64 natively; arm64/armhf with the toolchain files in toolchain/).
#
# What a terminal gets: /usr/bin/posterm (stripped) and its manual page, a sandboxed systemd
# unit that starts at boot without waiting for the network and restarts on failure, the udev
# rules of the drivers (scanner, receipt printer), a default config /etc/posterm/posterm.json,
# /etc/posterm/keys/ and the journal directory /var/lib/posterm/, both 0700 and owned by the
# service user `posterm` (sysusers.d and tmpfiles.d files that postinst applies), the copyright
# file, a changelog and lintian overrides that say why some modes are not the usual ones.
# tests/package checks all of this on the built package, and runs lintian on it.
if(NOT TARGET posterm)
  return()
endif()

set(_pkg ${PROJECT_SOURCE_DIR}/toolchain/package)
set(_gen ${PROJECT_BINARY_DIR}/package-control)

# Who answers for the package: the Maintainer field and the changelog's signature. The default
# is the identity every commit of this repository carries; a release sets the real one. A
# value lintian would refuse (no "Name <user@host.domain>", a local host) stops the configure
# here instead of surfacing as a lintian error after the build.
set(POSTERM_DEB_MAINTAINER "posterm maintainers <maintainers@users.noreply.h-seed-624c19ca.example>"
    CACHE STRING "Maintainer field of the .deb: Name <address>")
if(NOT POSTERM_DEB_MAINTAINER MATCHES "^[^<>@]*[^<>@ ] <[^<>@ ]+@([^<>@ ]+)>$")
  message(FATAL_ERROR "POSTERM_DEB_MAINTAINER must read \"Name <user@host.domain>\", not \"${POSTERM_DEB_MAINTAINER}\"")
endif()
string(TOLOWER "${CMAKE_MATCH_1}" _mail_host)
if(NOT _mail_host MATCHES "[.]" OR _mail_host MATCHES "(^|[.])(localhost|localdomain|local|invalid)$")
  message(FATAL_ERROR "POSTERM_DEB_MAINTAINER: ${_mail_host} is not a mail host anyone can write to")
endif()

# Debian 12 ships units, udev rules, sysusers.d and tmpfiles.d as dh does on bookworm: units
# and rules under /lib (lintian checks /lib/udev/rules.d; usrmerge makes them visible under
# /usr/lib too, so each is installed here ONCE, not also by the drivers' CMakeLists).
install(FILES ${_pkg}/posterm.service DESTINATION /lib/systemd/system)
# Every driver's rule (drivers/scanner, drivers/printer, ...): all give their nodes to group
# posterm, mode 0660 (the scanner's rule says why not uaccess).
file(GLOB _udev_rules CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/drivers/*/99-posterm-*.rules)
install(FILES ${_udev_rules} DESTINATION /lib/udev/rules.d)
install(FILES ${_pkg}/posterm.sysusers DESTINATION lib/sysusers.d RENAME posterm.conf)
install(FILES ${_pkg}/posterm.tmpfiles DESTINATION lib/tmpfiles.d RENAME posterm.conf)
# The shipped example is the default: it documents every key, and the keys it names are the
# ones an operator puts in /etc/posterm/keys/.
install(FILES ${PROJECT_SOURCE_DIR}/app/posterm.example.json DESTINATION /etc/posterm
        RENAME posterm.json PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ)
install(DIRECTORY DESTINATION /etc/posterm/keys
        DIRECTORY_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE)
install(DIRECTORY DESTINATION /var/lib/posterm
        DIRECTORY_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE)

# Documentation, made at configure time (configure_file re-runs the configure when a source
# changes): the manual page with this version, and a changelog whose one entry is this
# version, dated by SOURCE_DATE_EPOCH or else the last commit (so two builds of one tree give
# the same bytes), both compressed as dh does (gzip -9n: no name, no time stamp). A native
# package's changelog is changelog.gz, not changelog.Debian.gz.
set(POSTERM_VERSION ${PROJECT_VERSION})
set(POSTERM_DEB_VERSION ${PROJECT_VERSION})
if(NOT DEFINED ENV{SOURCE_DATE_EPOCH})
  execute_process(COMMAND git -C ${PROJECT_SOURCE_DIR} log -1 --format=%ct
                  OUTPUT_VARIABLE _epoch OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET
                  RESULT_VARIABLE _rc)
  if(_rc EQUAL 0 AND _epoch MATCHES "^[0-9]+$")
    set(ENV{SOURCE_DATE_EPOCH} ${_epoch})
  endif()
endif()
string(TIMESTAMP POSTERM_DEB_DATE "%a, %d %b %Y %H:%M:%S +0000" UTC)
configure_file(${_pkg}/posterm.1 ${_gen}/posterm.1 @ONLY)
configure_file(${_pkg}/changelog.in ${_gen}/changelog @ONLY)
foreach(_doc posterm.1 changelog)
  execute_process(COMMAND gzip -9nc ${_gen}/${_doc} OUTPUT_FILE ${_gen}/${_doc}.gz
                  RESULT_VARIABLE _rc)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "gzip -9n ${_doc} failed")
  endif()
endforeach()
install(FILES ${_gen}/posterm.1.gz DESTINATION share/man/man1)
install(FILES ${_gen}/changelog.gz ${_pkg}/copyright DESTINATION share/doc/posterm)
install(FILES ${_pkg}/lintian-overrides DESTINATION share/lintian/overrides RENAME posterm)

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
  "libc6 (>= 2.34), libsqlite3-0 (>= 3.40), libcjson1, libcurl4 (>= 7.88), libmbedcrypto7, libmbedx509-1, libmbedtls14, libusb-1.0-0, libqrencode4, libzip4, zlib1g, systemd")
if(POSTERM_WITH_UI)
  string(APPEND POSTERM_DEB_DEPENDS ", libncursesw6, libtinfo6")
endif()
if(POSTERM_WITH_MQTT)
  string(APPEND POSTERM_DEB_DEPENDS ", libmosquitto1, libssl3") # libssl3: the broker's TLS context
endif()

# systemd: the unit's manager, and systemd-sysusers and systemd-tmpfiles that postinst runs.
# conffiles: dpkg keeps an operator's edits to the config across upgrades.
file(WRITE ${_gen}/conffiles "/etc/posterm/posterm.json\n")
file(COPY ${_pkg}/postinst ${_pkg}/prerm ${_pkg}/postrm
     DESTINATION ${_gen}
     FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
                      WORLD_READ WORLD_EXECUTE)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME posterm)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "${POSTERM_DEB_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "checkout-counter client for WeChat Pay and Alipay barcode payments")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE ${_debarch})
set(CPACK_DEBIAN_PACKAGE_SECTION misc)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "${POSTERM_DEB_DEPENDS}")
# The udev rules give the scanner and printer to group posterm; without udev they are inert.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS udev)
# Lines of at most 80 columns (lintian's extended-description-line-too-long): cpack indents
# each by one space.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
  "posterm reads the customer's payment code from a USB scanner, charges it\n\
through the payment gateway and keeps every payment in a crash-safe SQLite\n\
journal, so a terminal that lost power resumes each unresolved payment after\n\
the reboot.")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${_gen}/conffiles ${_gen}/postinst ${_gen}/prerm ${_gen}/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# Only the program and its files: not the static libraries or test programs of the tree.
set(CPACK_INSTALL_CMAKE_PROJECTS "${PROJECT_BINARY_DIR};${PROJECT_NAME};ALL;/")
include(CPack)
