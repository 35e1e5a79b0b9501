# check_layers.cmake - the include rule between posterm's layers, checked apart from the build.
#
# Every .c and .h directly in a layer's folder is compiled (syntax only) with the include
# folders of that layer and the layers below it, and no others: a header of a higher layer, or
# of a neighbour the rule does not allow, fails to compile here. Includes are plain names
# ("payment.h"), never paths, so no file reaches around the rule with "../".
#
# Inside a folder: its facade header (drivers/scanner/scanner.h) is included there by its own
# .c only, so the parts behind it (sources, decoders) never call back into the facade; and the
# word tables of ui/ (text, cause_text) never include view.h, which chooses among their words.
# Those were the two circles between files that call each other.
#
# cmake -DCC=<compiler> -DSRC=<source tree> -DWORK=<scratch folder> -DSYS=<a|b|...>
#       -DFLAGS=<a|b|...> -DWITH_UI=ON|OFF -P check_layers.cmake
#
cmake_minimum_required(VERSION 3.25)

# The rule, lowest layer first (folder: the folders it may include, its own first):
set(rule_app_core       "app/core")
set(rule_drivers_scanner "drivers/scanner")
set(rule_drivers_printer "drivers/printer")
set(rule_drivers_gateway "drivers/gateway;app/core")
set(rule_storage        "storage;app/core")
set(rule_ui             "ui;drivers/printer;storage;app/core")
set(rule_app            "app;ui;storage;drivers/gateway;drivers/scanner;drivers/printer;app/core")
set(layers app/core drivers/scanner drivers/printer drivers/gateway storage ui app)
set(facade_drivers_scanner scanner)
set(below_ui_view text cause_text)
# Without the screen, ui/ is only its receipt composer (posterm_receipt, no ncurses).
if(NOT WITH_UI)
  set(only_ui receipt)
endif()

string(REPLACE "|" ";" SYS "${SYS}")
string(REPLACE "|" ";" FLAGS "${FLAGS}")
set(common -std=c11 -fsyntax-only -D_POSIX_C_SOURCE=200809L
           -D_DEFAULT_SOURCE -DPOSTERM_CRASH_POINTS "-DPOSTERM_VERSION=\"check\"" ${FLAGS})
if(WITH_UI)
  list(APPEND common -DPOSTERM_WITH_UI)
endif()
foreach(dir ${SYS})
  list(APPEND common -isystem ${dir})
endforeach()

set(failures 0)
set(checked 0)

# compile(<file> <layer-rule folders> <result var> <output var>)
function(compile file allowed result output)
  set(flags ${common})
  foreach(folder ${allowed})
    list(APPEND flags -I${SRC}/${folder})
  endforeach()
  execute_process(COMMAND ${CC} ${flags} -x c ${file}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  set(${result} ${rc} PARENT_SCOPE)
  set(${output} "${out}" PARENT_SCOPE)
endfunction()

foreach(layer ${layers})
  string(REPLACE "/" "_" key "${layer}")
  set(allowed ${rule_${key}})
  file(GLOB files ${SRC}/${layer}/*.c ${SRC}/${layer}/*.h)
  if(NOT WITH_UI)
    list(FILTER files EXCLUDE REGEX "/app/cashier[^/]*$") # the screen's glue, built with ui/ only
    if(layer STREQUAL "ui")
      list(FILTER files INCLUDE REGEX "/ui/(${only_ui})\\.[ch]$")
    endif()
  endif()
  if(NOT files)
    message(SEND_ERROR "${layer}: no sources found under ${SRC}")
    math(EXPR failures "${failures} + 1")
  endif()
  foreach(file ${files})
    get_filename_component(module ${file} NAME_WE)
    file(STRINGS ${file} quoted REGEX "^[ \t]*#[ \t]*include[ \t]*\"")
    foreach(line ${quoted})
      string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]*\"([^\"]*)\".*" "\\1" header "${line}")
      get_filename_component(to ${header} NAME_WE)
      if(DEFINED below_${key}_${to} AND module IN_LIST below_${key}_${to})
        message(SEND_ERROR "${file}: includes ${header}, which sits above it")
        math(EXPR failures "${failures} + 1")
      endif()
      if(DEFINED facade_${key} AND to STREQUAL facade_${key} AND NOT module STREQUAL to)
        message(SEND_ERROR "${file}: includes its folder's facade ${header}; the parts behind it "
                           "use their own header (e.g. source.h)")
        math(EXPR failures "${failures} + 1")
      endif()
    endforeach()
    file(STRINGS ${file} pathed REGEX "^[ \t]*#[ \t]*include[ \t]*\"[^\"]*/")
    if(pathed)
      message(SEND_ERROR "${file}: includes by path (${pathed}): name the header, the rule gives the folder")
      math(EXPR failures "${failures} + 1")
    endif()
    compile(${file} "${allowed}" rc out)
    math(EXPR checked "${checked} + 1")
    if(NOT rc EQUAL 0)
      message(SEND_ERROR "${file} (layer ${layer}, may include ${allowed}):\n${out}")
      math(EXPR failures "${failures} + 1")
    endif()
  endforeach()
endforeach()

# The check itself must be able to fail: the core including the journal is refused.
file(MAKE_DIRECTORY ${WORK})
file(WRITE ${WORK}/core_includes_storage.c "#include \"payment.h\"\n#include \"journal.h\"\n")
compile(${WORK}/core_includes_storage.c "${rule_app_core}" rc out)
if(rc EQUAL 0)
  message(SEND_ERROR "a core file including storage/journal.h compiled: the rule is not enforced")
  math(EXPR failures "${failures} + 1")
endif()

if(failures GREATER 0)
  message(FATAL_ERROR "${failures} of ${checked} files break the layer rule")
endif()
message(STATUS "${checked} files keep the layer rule")
