# rumpk_virtio_gen(<srcs_var> <include_dir_var> SPEC <virtio.toml> MANIFESTS <m...> OUTDIR <dir>)
# Runs tools/gen_virtio.py at build time to produce <dir>/virtio_gen/{virtio_ids.h,
# virtio_tables.[ch], virtio_registry.[ch]}. Sets <srcs_var> to the generated files and
# <include_dir_var> to <dir> (so `#include <virtio_gen/virtio_ids.h>` works). The rule re-runs
# when the generator, the spec or any manifest changes; a bad manifest fails the build with the
# generator's file:line: message. Nothing here is committed or written outside <dir>.
function(rumpk_virtio_gen srcs_var inc_var)
  cmake_parse_arguments(G "" "SPEC;OUTDIR" "MANIFESTS" ${ARGN})
  if(NOT G_SPEC OR NOT G_OUTDIR)
    message(FATAL_ERROR "rumpk_virtio_gen: SPEC and OUTDIR are required")
  endif()
  if(G_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "rumpk_virtio_gen: unexpected arguments: ${G_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT Python3_EXECUTABLE)
    find_package(Python3 REQUIRED COMPONENTS Interpreter)
  endif()
  get_filename_component(root "${CMAKE_CURRENT_FUNCTION_LIST_DIR}/.." ABSOLUTE)
  set(gen_script ${root}/tools/gen_virtio.py)
  file(GLOB gen_modules CONFIGURE_DEPENDS ${root}/tools/virtio_gen/*.py)

  set(dir ${G_OUTDIR}/virtio_gen)
  set(outputs
      ${dir}/virtio_ids.h
      ${dir}/virtio_tables.h
      ${dir}/virtio_tables.c
      ${dir}/virtio_registry.h
      ${dir}/virtio_registry.c)
  # The stamp is always rewritten; the real outputs only when their text changes, so a manifest
  # edit that leaves virtio_ids.h alone does not rebuild every file that includes it.
  set(stamp ${dir}/virtio_gen.stamp)
  add_custom_command(
    OUTPUT ${stamp} ${outputs}
    COMMAND ${Python3_EXECUTABLE} ${gen_script} --spec ${G_SPEC} --out ${G_OUTDIR}
            --stamp ${stamp} ${G_MANIFESTS}
    DEPENDS ${gen_script} ${gen_modules} ${G_SPEC} ${G_MANIFESTS}
    WORKING_DIRECTORY ${root}
    COMMENT "Generating virtio IDs, tables and plugin registry"
    VERBATIM)
  set(${srcs_var} ${outputs} PARENT_SCOPE)
  set(${inc_var} ${G_OUTDIR} PARENT_SCOPE)
endfunction()

# rumpk_nipbox_sources(<out_var> SPEC <virtio.toml> MANIFESTS <m...>): at configure time, the
# [nipbox] sources of the plugin manifests (absolute paths), checked by the generator; a bad
# [nipbox] table stops the configure with the generator's file:line: messages. CMake configures
# again when a manifest changes.
function(rumpk_nipbox_sources out_var)
  cmake_parse_arguments(N "" "SPEC" "MANIFESTS" ${ARGN})
  get_filename_component(root "${CMAKE_CURRENT_FUNCTION_LIST_DIR}/.." ABSOLUTE)
  execute_process(COMMAND ${Python3_EXECUTABLE} ${root}/tools/gen_virtio.py --spec ${N_SPEC}
                          --out ${CMAKE_BINARY_DIR}/gen --list-nipbox-sources ${N_MANIFESTS}
                  WORKING_DIRECTORY ${root}
                  OUTPUT_VARIABLE listed ERROR_VARIABLE problems RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${problems}")
  endif()
  set_property(DIRECTORY ${CMAKE_SOURCE_DIR} APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
               ${N_MANIFESTS})
  string(REGEX REPLACE "\n$" "" listed "${listed}")
  string(REPLACE "\n" ";" listed "${listed}")
  set(${out_var} ${listed} PARENT_SCOPE)
endfunction()
