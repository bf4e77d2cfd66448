# <ion_gen/ion_cmds.h> from abi/ion.toml (tools/gen_ion.py), generated when CMake configures and
# again whenever the manifest or the generator changes; a bad manifest stops the configure with
# the generator's file:line: message. It belongs to the ABI: every user of rumpk_abi sees it.
set(RUMPK_ION_GEN_DIR ${CMAKE_BINARY_DIR}/gen_ion)
execute_process(COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tools/gen_ion.py
                        --out ${RUMPK_ION_GEN_DIR} ${CMAKE_SOURCE_DIR}/abi/ion.toml
                WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}
                RESULT_VARIABLE rumpk_ion_gen_rc)
if(NOT rumpk_ion_gen_rc EQUAL 0)
  message(FATAL_ERROR "tools/gen_ion.py: abi/ion.toml does not validate (messages above)")
endif()
set_property(DIRECTORY ${CMAKE_SOURCE_DIR} APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
             ${CMAKE_SOURCE_DIR}/abi/ion.toml ${CMAKE_SOURCE_DIR}/tools/gen_ion.py)
