# keepwarm_add_policy(<target> <sources>...): build a policy plugin the way a
# third party does: a MODULE library against keepwarm::sdk alone, hidden
# visibility, so that only the entry point keepwarm_policy_entry is exported.
function(keepwarm_add_policy target)
  add_library(${target} MODULE ${ARGN})
  target_link_libraries(${target} PRIVATE keepwarm::sdk)
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    CXX_VISIBILITY_PRESET hidden
    C_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  if(KEEPWARM_PLUGIN_OUTPUT_DIR)
    set_target_properties(${target} PROPERTIES
      LIBRARY_OUTPUT_DIRECTORY "${KEEPWARM_PLUGIN_OUTPUT_DIR}")
  endif()
endfunction()
