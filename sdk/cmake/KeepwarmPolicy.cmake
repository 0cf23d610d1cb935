# keepwarm_add_policy(<target> <sources>...): build a policy plugin the way a
# third party does: a MODULE library against keepwarm::sdk alone, hidden
# visibility, and (with GNU-style linkers) a version script, so that only the
# entry point keepwarm_policy_entry is exported. The file is <target>.so; the
# policy's name is whatever its descriptor says.
include_guard(GLOBAL)

function(keepwarm_add_policy target)
  add_library(${target} MODULE ${ARGN})
  set(_map "${CMAKE_CURRENT_FUNCTION_LIST_DIR}/keepwarm_policy.map")
  target_link_libraries(${target} PRIVATE keepwarm::sdk)
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    CXX_VISIBILITY_PRESET hidden
    C_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  if(NOT APPLE AND NOT WIN32 AND EXISTS "${_map}")
    target_link_options(${target} PRIVATE "LINKER:--version-script=${_map}")
    set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS "${_map}")
  endif()
  if(KEEPWARM_PLUGIN_OUTPUT_DIR)
    set_target_properties(${target} PROPERTIES
      LIBRARY_OUTPUT_DIRECTORY "${KEEPWARM_PLUGIN_OUTPUT_DIR}")
  endif()
endfunction()
