# out_of_tree_policy.cmake (cmake -P): from `keepwarm new-policy` to a ranked result, out of
# tree. With INSTALL_FROM=<build dir>: install it to WORK_DIR/prefix first and use only that;
# otherwise use KEEPWARM_EXE and the build-tree package in PACKAGE_DIR.
cmake_minimum_required(VERSION 3.22)

function(run)
  cmake_parse_arguments(R "MAY_FAIL" "OUTPUT;RESULT" "" ${ARGN})
  execute_process(COMMAND ${R_UNPARSED_ARGUMENTS} RESULT_VARIABLE rc OUTPUT_VARIABLE out
                  ERROR_VARIABLE out)
  if(NOT R_MAY_FAIL AND NOT rc EQUAL 0)
    string(REPLACE ";" " " cmd "${R_UNPARSED_ARGUMENTS}")
    message(FATAL_ERROR "failed (${rc}): ${cmd}\n${out}")
  endif()
  if(R_OUTPUT)
    set(${R_OUTPUT} "${out}" PARENT_SCOPE)
  endif()
  if(R_RESULT)
    set(${R_RESULT} "${rc}" PARENT_SCOPE)
  endif()
endfunction()

function(expect_match regex text what)
  if(NOT text MATCHES "${regex}")
    message(FATAL_ERROR "${what}: expected to match '${regex}', got:\n${text}")
  endif()
endfunction()

file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")

if(INSTALL_FROM)
  set(prefix "${WORK_DIR}/prefix")
  run(${CMAKE_COMMAND} --install "${INSTALL_FROM}" --prefix "${prefix}")
  foreach(f bin/keepwarm ${INCLUDEDIR}/keepwarm/policy.h ${INCLUDEDIR}/keepwarm/policy.hpp
            ${INCLUDEDIR}/keepwarm/indexed_heap.hpp ${LIBDIR}/cmake/keepwarm/keepwarmConfig.cmake
            ${LIBDIR}/cmake/keepwarm/keepwarmConfigVersion.cmake
            ${LIBDIR}/cmake/keepwarm/keepwarmTargets.cmake
            ${LIBDIR}/cmake/keepwarm/KeepwarmPolicy.cmake)
    if(NOT EXISTS "${prefix}/${f}")
      message(FATAL_ERROR "install did not produce ${f}")
    endif()
  endforeach()
  set(KEEPWARM_EXE "${prefix}/bin/keepwarm")
  set(package_arg "-DCMAKE_PREFIX_PATH=${prefix}")
  set(expected_package_dir "${prefix}/")
else()
  set(package_arg "-Dkeepwarm_DIR=${PACKAGE_DIR}")
  set(expected_package_dir "${PACKAGE_DIR}")
endif()

# A small trace with memory pressure.
file(WRITE "${WORK_DIR}/trace/functions.csv"
     "function,memory_mb,cold_ms,warm_ms\nx,100,1000,100\ny,100,1500,100\nz,250,1000,100\n")
set(inv "time_ms,function\n")
foreach(i RANGE 0 59)
  math(EXPR t "${i} * 700")
  math(EXPR k "(${i} * 7) % 3")
  set(names x y z)
  list(GET names ${k} fn)
  string(APPEND inv "${t},${fn}\n")
endforeach()
file(WRITE "${WORK_DIR}/trace/invocations.csv" "${inv}")

# The scaffold: bad names and non-empty directories are refused.
run(${KEEPWARM_EXE} new-policy 9lives "${WORK_DIR}/bad" MAY_FAIL RESULT rc OUTPUT out)
if(rc EQUAL 0 OR EXISTS "${WORK_DIR}/bad")
  message(FATAL_ERROR "new-policy accepted the name 9lives:\n${out}")
endif()
if(INSTALL_FROM)
  # The installed keepwarm finds the shipped sample trace next to itself (a stand-in is put
  # there when this tree has no traces/ to install).
  set(sample "${prefix}/share/keepwarm/traces/sample")
  if(NOT EXISTS "${sample}")
    file(COPY "${WORK_DIR}/trace/" DESTINATION "${sample}")
  endif()
  # It is named, not given by path, so the experiment can be published: the trace search path
  # finds it wherever keepwarm is installed.
  run(${KEEPWARM_EXE} new-policy my_policy "${WORK_DIR}/my_policy")
  file(READ "${WORK_DIR}/my_policy/experiment.toml" toml)
  string(FIND "${toml}" "traces = [\"sample\"]" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "experiment.toml does not name the sample trace by name:\n${toml}")
  endif()
else()
  # A trace given by path is written relative to the experiment file.
  run(${KEEPWARM_EXE} new-policy my_policy "${WORK_DIR}/my_policy" --trace "${WORK_DIR}/trace")
  file(READ "${WORK_DIR}/my_policy/experiment.toml" toml)
  string(FIND "${toml}" "traces = [\"../trace\"]" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "experiment.toml does not name ../trace relative to itself:\n${toml}")
  endif()
endif()
foreach(f CMakeLists.txt my_policy.cpp README.md experiment.toml)
  if(NOT EXISTS "${WORK_DIR}/my_policy/${f}")
    message(FATAL_ERROR "new-policy did not write ${f}")
  endif()
endforeach()
run(${KEEPWARM_EXE} new-policy my_policy "${WORK_DIR}/my_policy" MAY_FAIL RESULT rc OUTPUT out)
if(rc EQUAL 0)
  message(FATAL_ERROR "new-policy overwrote a non-empty directory:\n${out}")
endif()
expect_match("refusing to overwrite" "${out}" "new-policy into a non-empty directory")

# Configure and build it like a third party, warnings as errors.
set(src "${WORK_DIR}/my_policy")
run(${CMAKE_COMMAND} -S "${src}" -B "${src}/build" -G "${GENERATOR}"
    "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}" "${package_arg}"
    "-DCMAKE_CXX_FLAGS=-Wall -Wextra -Wpedantic -Werror" -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)
file(STRINGS "${src}/build/CMakeCache.txt" found REGEX "^keepwarm_DIR:")
string(FIND "${found}" "${expected_package_dir}" at)
if(at EQUAL -1)
  message(FATAL_ERROR "found the wrong keepwarm package: ${found} (expected ${expected_package_dir})")
endif()
run(${CMAKE_COMMAND} --build "${src}/build")
set(plugin "${src}/build/my_policy.so")
if(NOT EXISTS "${plugin}")
  message(FATAL_ERROR "the build did not produce ${plugin}")
endif()

# Only the entry point is exported.
if(NM)
  run(${NM} -D --defined-only "${plugin}" OUTPUT symbols)
  string(STRIP "${symbols}" symbols)
  if(NOT symbols MATCHES "^[0-9a-fA-F]+ T keepwarm_policy_entry$")
    message(FATAL_ERROR "the plugin exports more than keepwarm_policy_entry:\n${symbols}")
  endif()
endif()

# The package version is SameMajorVersion: 1.0 is satisfied (above), 2.0 is not.
file(WRITE "${WORK_DIR}/wants2/CMakeLists.txt"
     "cmake_minimum_required(VERSION 3.22)\nproject(wants2 LANGUAGES NONE)\n"
     "find_package(keepwarm 2.0 REQUIRED)\n")
run(${CMAKE_COMMAND} -S "${WORK_DIR}/wants2" -B "${WORK_DIR}/wants2/build" -G "${GENERATOR}"
    "${package_arg}" -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF MAY_FAIL RESULT rc OUTPUT out)
if(rc EQUAL 0)
  message(FATAL_ERROR "find_package(keepwarm 2.0) accepted keepwarm 1.x:\n${out}")
endif()
expect_match("compatible with requested version \"2.0\"" "${out}" "find_package(keepwarm 2.0)")

# keepwarm sees its metadata.
run(${KEEPWARM_EXE} plugins --details --plugin-path "${src}/build" OUTPUT out)
expect_match("my_policy  0.1.0  \\(ABI 1\\.[0-9]+\\)" "${out}" "keepwarm plugins")
expect_match("param keepalive_ms \\(number, default 600000\\)" "${out}" "keepwarm plugins")
expect_match("sha256: [0-9a-f]+" "${out}" "keepwarm plugins")

# One command from the scaffold to the ranking: the built-ins come from next to the executable.
run(${KEEPWARM_EXE} run "${src}/experiment.toml" --reproducible OUTPUT out)
expect_match("my_policy" "${out}" "the ranking")
file(READ "${src}/results/results.csv" csv)
foreach(policy my_policy rand lru)
  expect_match("\n[^,\n]+,${policy},[0-9]+,[0-9]+,[0-9]+," "${csv}" "results.csv")
endforeach()
file(READ "${src}/results/results.json" json)
file(SHA256 "${plugin}" sha)
expect_match("\"name\": \"my_policy\", \"version\": \"0.1.0\"[^\n]*\"sha256\": \"${sha}\"" "${json}"
             "results.json")
if(INSTALL_FROM)
  expect_match("\"name\": \"lru\"[^\n]*\"file\": \"${prefix}/" "${json}"
               "the installed keepwarm's built-in lru")
endif()
message(STATUS "out-of-tree policy built and ranked: ${src}")
