# Finds every external library posterm uses. Each one is a Debian 12 package;
# a missing one stops configure with the name of the package to install.
find_package(PkgConfig)
if(NOT PKG_CONFIG_FOUND)
  message(FATAL_ERROR "pkg-config not found: apt-get install pkg-config")
endif()

# posterm_require(<target-prefix> <pkg-config module> <debian package>)
macro(posterm_require prefix module debpkg)
  pkg_check_modules(${prefix} IMPORTED_TARGET ${module})
  if(NOT ${prefix}_FOUND)
    message(FATAL_ERROR "${module} not found: apt-get install ${debpkg}")
  endif()
endmacro()

posterm_require(SQLITE sqlite3 libsqlite3-dev)
posterm_require(CJSON libcjson libcjson-dev)
posterm_require(CURL libcurl libcurl4-openssl-dev)
posterm_require(LIBUSB libusb-1.0 libusb-1.0-0-dev)
posterm_require(QRENCODE libqrencode libqrencode-dev)
# the gateways' daily bills: Alipay's zip, WeChat Pay's gzip (drivers/gateway/bill_*.c)
posterm_require(LIBZIP libzip libzip-dev)
posterm_require(ZLIB zlib zlib1g-dev)
if(POSTERM_WITH_UI)
  posterm_require(NCURSESW ncursesw libncurses-dev)
endif()
if(POSTERM_WITH_MQTT)
  posterm_require(MOSQUITTO libmosquitto libmosquitto-dev)
  # libmosquitto's TLS is OpenSSL: the publisher hands it an SSL_CTX of its own so that the
  # broker's name is checked while connecting to an address resolved without blocking.
  posterm_require(OPENSSL openssl libssl-dev)
endif()
if(POSTERM_WITH_SIM)
  posterm_require(MHD libmicrohttpd libmicrohttpd-dev)
endif()

# Debian 12 ships mbedTLS 2.28 without a pkg-config file or CMake package.
find_package(MbedTLS)
if(NOT MbedTLS_FOUND)
  message(FATAL_ERROR "mbedTLS not found: apt-get install libmbedtls-dev")
endif()
