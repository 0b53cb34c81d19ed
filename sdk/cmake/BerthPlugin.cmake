# berth_add_plugin(NAME SOURCES src... [LIBRARIES lib...] [OUTPUT_DIRECTORY dir])
#
# Builds a berth plugin: a MODULE library named berth-NAME.so that links only
# the SDK, hides every symbol but the `berth_plugin` entry point, and refuses
# to link with undefined symbols (a plugin never links against the core).
include_guard(GLOBAL)

function(berth_add_plugin name)
  cmake_parse_arguments(ARG "" "OUTPUT_DIRECTORY" "SOURCES;LIBRARIES" ${ARGN})
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "berth_add_plugin(${name}): SOURCES is required")
  endif()
  # The linker script that keeps berth_plugin the only exported symbol ships
  # beside this file, in the source tree and in an installed SDK alike.
  set(exports "${CMAKE_CURRENT_FUNCTION_LIST_DIR}/berth_plugin.exports")
  add_library(${name} MODULE ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE BerthSDK::sdk ${ARG_LIBRARIES})
  set_target_properties(${name} PROPERTIES
    PREFIX ""
    # No NAME_EXPORTS define: plugins export through the version script, and
    # identical flags let plugins share one precompiled header.
    DEFINE_SYMBOL ""
    OUTPUT_NAME "berth-${name}"
    CXX_STANDARD 20
    CXX_STANDARD_REQUIRED ON
    CXX_EXTENSIONS OFF
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  target_link_options(${name} PRIVATE
    "LINKER:--no-undefined"
    "LINKER:--version-script=${exports}")
  set_property(TARGET ${name} APPEND PROPERTY LINK_DEPENDS "${exports}")
  if(ARG_OUTPUT_DIRECTORY)
    set_target_properties(${name} PROPERTIES LIBRARY_OUTPUT_DIRECTORY "${ARG_OUTPUT_DIRECTORY}")
  elseif(BERTH_PLUGIN_OUTPUT_DIRECTORY)
    set_target_properties(${name} PROPERTIES LIBRARY_OUTPUT_DIRECTORY "${BERTH_PLUGIN_OUTPUT_DIRECTORY}")
  endif()
  if(BERTH_PLUGIN_INSTALL_DIR AND NOT ARG_OUTPUT_DIRECTORY)
    install(TARGETS ${name} LIBRARY DESTINATION "${BERTH_PLUGIN_INSTALL_DIR}")
  endif()
endfunction()
