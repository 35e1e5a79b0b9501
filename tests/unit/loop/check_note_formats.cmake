# check_note_formats.cmake - the compiler refuses a loop note whose English or Chinese does not
# fit its values (app/loop_notes.def), so that check cannot vanish unnoticed.
#
# Each case copies the notes' files (loop.h, loop_notes.h, loop_notes.c, loop_notes.def) to a
# folder of its own, adds one row to the list and compiles loop_notes.c as the build does, with
# -Werror=format. A correct row must compile (the harness itself works); each wrong one must be
# refused, and for its format.
#
# cmake -DCC=<compiler> -DSRC=<source tree> -DWORK=<scratch folder> -DINCLUDES=<a|b|...>
#       -P check_note_formats.cmake
#
cmake_minimum_required(VERSION 3.25)

string(REPLACE "|" ";" INCLUDES "${INCLUDES}")
set(flags -std=c11 -fsyntax-only -Wall -Wextra -Werror=format -D_POSIX_C_SOURCE=200809L
          -D_DEFAULT_SOURCE)
foreach(dir ${INCLUDES})
  list(APPEND flags -I${dir})
endforeach()

set(failures 0)

# probe(<name> <row> <expect: compiles|refused>)
function(probe name row expect)
  set(dir ${WORK}/${name})
  file(REMOVE_RECURSE ${dir})
  file(MAKE_DIRECTORY ${dir})
  foreach(f loop.h loop_notes.h loop_notes.c loop_notes.def)
    file(COPY ${SRC}/app/${f} DESTINATION ${dir})
  endforeach()
  file(APPEND ${dir}/loop_notes.def "${row}\n")
  execute_process(COMMAND ${CC} ${flags} -x c ${dir}/loop_notes.c
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(expect STREQUAL "compiles" AND NOT rc EQUAL 0)
    message(SEND_ERROR "${name}: a correct row did not compile:\n${row}\n${out}")
    math(EXPR failures "${failures} + 1")
    set(failures ${failures} PARENT_SCOPE)
  elseif(expect STREQUAL "refused" AND rc EQUAL 0)
    message(SEND_ERROR "${name}: a wrong row compiled, the format check is gone:\n${row}")
    math(EXPR failures "${failures} + 1")
    set(failures ${failures} PARENT_SCOPE)
  elseif(expect STREQUAL "refused" AND NOT out MATCHES "format")
    message(SEND_ERROR "${name}: refused, but not for its format:\n${row}\n${out}")
    math(EXPR failures "${failures} + 1")
    set(failures ${failures} PARENT_SCOPE)
  else()
    message(STATUS "${name}: ${expect}")
  endif()
endfunction()

probe(right "LOOP_NOTE(PROBE, LOOP_WARN, \"probe %s of %s\", \"探测 %2$s 的 %1$s\", V_ORDER, V_AMOUNT)" compiles)
probe(right_plain "LOOP_NOTE_PLAIN(PROBE, LOOP_WARN, \"probe\", \"探测\")" compiles)
probe(chinese_wrong_type "LOOP_NOTE(PROBE, LOOP_WARN, \"probe %s\", \"探测 %d\", V_ORDER)" refused)
probe(english_wrong_type "LOOP_NOTE(PROBE, LOOP_WARN, \"probe %d\", \"探测 %s\", V_ORDER)" refused)
probe(chinese_value_missing "LOOP_NOTE(PROBE, LOOP_WARN, \"probe %s\", \"探测\", V_ORDER)" refused)
probe(both_one_too_many "LOOP_NOTE(PROBE, LOOP_WARN, \"probe %s %d\", \"探测 %s %d\", V_ORDER)" refused)
probe(plain_with_conversion "LOOP_NOTE_PLAIN(PROBE, LOOP_WARN, \"probe\", \"探测 %s\")" refused)

if(failures GREATER 0)
  message(FATAL_ERROR "${failures} loop-note format probes went wrong")
endif()
