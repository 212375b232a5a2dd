# kmtsim_catch_tests(TARGET PREFIX prefix LIST var [SPEC spec] [LABELS l...] [ENV e...] [TIMEOUT s])
#
# One CTest test per Catch2 test case of TARGET (as catch_discover_tests), with
# its labels, environment and timeout. catch_discover_tests cannot carry these
# itself: its PROPERTIES are flattened on their way to the CTest script, so a
# list value (two labels, two variables) keeps its first element and shifts
# what follows into property names. Here the properties are set by a CTest
# script of our own, included after Catch's, over the test list it defines.
# LIST names that list: give each discovery of one target its own (and a SPEC
# of its own, since Catch names its files by the target and the spec).
function(kmtsim_catch_tests target)
  cmake_parse_arguments(T "" "PREFIX;LIST;SPEC;TIMEOUT" "LABELS;ENV" ${ARGN})
  if(NOT T_LIST)
    message(FATAL_ERROR "kmtsim_catch_tests(${target}): LIST is required")
  endif()
  set(spec)
  if(T_SPEC)
    set(spec TEST_SPEC "${T_SPEC}")
  endif()
  catch_discover_tests(${target} ${spec} TEST_PREFIX "${T_PREFIX}" TEST_LIST ${T_LIST})
  set(props "")
  if(T_LABELS)
    string(APPEND props " LABELS [==[${T_LABELS}]==]")
  endif()
  if(T_ENV)
    string(APPEND props " ENVIRONMENT [==[${T_ENV}]==]")
  endif()
  if(T_TIMEOUT)
    string(APPEND props " TIMEOUT ${T_TIMEOUT}")
  endif()
  if(props STREQUAL "")
    return()
  endif()
  set(script "${CMAKE_CURRENT_BINARY_DIR}/${T_LIST}_properties.cmake")
  file(WRITE "${script}"
    "if(${T_LIST})\n  set_tests_properties(\${${T_LIST}} PROPERTIES${props})\nendif()\n")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES "${script}")
endfunction()
