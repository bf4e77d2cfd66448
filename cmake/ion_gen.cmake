# <ion_gen/ion_cmds.h> and <ion_gen/ion_plugins.c> from abi/ion.toml, ports/ion.toml (the ports'
# commands, written as a plugin's [ion] table) and the device plugins' [ion] tables
# (tools/gen_ion.py), generated when CMake configures and again whenever a manifest
# or the generator changes; a bad manifest stops the configure with the generator's file:line:
# message. The header belongs to the ABI (every user of rumpk_abi sees it); the table is
# compiled into the kernel image; RUMPK_ION_SHIM_SOURCES are the plugins' user-library sources.
set(RUMPK_ION_GEN_DIR ${CMAKE_BINARY_DIR}/gen_ion)
execute_process(COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tools/gen_ion.py
                        --out ${RUMPK_ION_GEN_DIR} --list-shim-sources
                        ${CMAKE_SOURCE_DIR}/abi/ion.toml ${CMAKE_SOURCE_DIR}/ports/ion.toml
                        ${RUMPK_DEVICE_MANIFESTS}
                WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}
                OUTPUT_VARIABLE rumpk_ion_shims
                RESULT_VARIABLE rumpk_ion_gen_rc)
if(NOT rumpk_ion_gen_rc EQUAL 0)
  message(FATAL_ERROR "tools/gen_ion.py: the ION manifests do not validate (messages above)")
endif()
string(REPLACE "\n" ";" RUMPK_ION_SHIM_SOURCES "${rumpk_ion_shims}")
list(FILTER RUMPK_ION_SHIM_SOURCES EXCLUDE REGEX "^$") # .c and .h: headers compile to nothing
set(RUMPK_ION_PLUGINS_C ${RUMPK_ION_GEN_DIR}/ion_gen/ion_plugins.c)
set_property(DIRECTORY ${CMAKE_SOURCE_DIR} APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
             ${CMAKE_SOURCE_DIR}/abi/ion.toml ${CMAKE_SOURCE_DIR}/ports/ion.toml
             ${CMAKE_SOURCE_DIR}/tools/gen_ion.py
             ${RUMPK_DEVICE_MANIFESTS})
