# check_layering.cmake: every host subsystem includes only the subsystems below it in
# docs/architecture.md, and every built-in plugin includes only the SDK (keepwarm/*.h, *.hpp
# directly under sdk/include/keepwarm). The build enforces the same through include paths; this
# catches a link added the wrong way round together with an include that uses it.
# Run: cmake -DSOURCE_DIR=<repo> -P check_layering.cmake
cmake_minimum_required(VERSION 3.22)
set(allowed_util util)
set(allowed_traces traces util)
set(allowed_loader loader util)
set(allowed_engine engine loader traces)
set(allowed_bound bound traces util)
set(allowed_report report engine loader traces util)
set(allowed_experiment experiment report bound engine loader traces util)
set(allowed_distributed distributed experiment report bound engine loader traces util)
set(allowed_cli distributed experiment report bound engine loader traces util)

set(errors "")
foreach(sub util traces loader engine bound report experiment distributed cli)
  file(GLOB_RECURSE files "${SOURCE_DIR}/host/${sub}/*.cpp" "${SOURCE_DIR}/host/${sub}/*.hpp")
  foreach(f IN LISTS files)
    file(STRINGS "${f}" lines REGEX "^#include [\"<]keepwarm/[a-z_]+/")
    foreach(line IN LISTS lines)
      string(REGEX MATCH "keepwarm/([a-z_]+)/" _ "${line}")
      if(NOT CMAKE_MATCH_1 IN_LIST allowed_${sub})
        file(RELATIVE_PATH rel "${SOURCE_DIR}" "${f}")
        string(APPEND errors "${rel}: host/${sub} must not include keepwarm/${CMAKE_MATCH_1}/ (${line})\n")
      endif()
    endforeach()
  endforeach()
endforeach()

file(GLOB_RECURSE plugin_files "${SOURCE_DIR}/plugins/*.cpp" "${SOURCE_DIR}/plugins/*.hpp"
     "${SOURCE_DIR}/plugins/*.c" "${SOURCE_DIR}/plugins/*.h")
foreach(f IN LISTS plugin_files)
  file(STRINGS "${f}" lines REGEX "^#include [\"<]keepwarm/")
  foreach(line IN LISTS lines)
    string(REGEX MATCH "keepwarm/([A-Za-z0-9_./]+)" _ "${line}")
    if(NOT EXISTS "${SOURCE_DIR}/sdk/include/keepwarm/${CMAKE_MATCH_1}")
      file(RELATIVE_PATH rel "${SOURCE_DIR}" "${f}")
      string(APPEND errors "${rel}: a plugin includes only the SDK, not keepwarm/${CMAKE_MATCH_1}\n")
    endif()
  endforeach()
endforeach()

if(errors)
  message(FATAL_ERROR "layering violations:\n${errors}")
endif()
message(STATUS "layering: host subsystems and plugins include only what is below them")
