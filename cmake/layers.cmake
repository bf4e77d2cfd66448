# The layers as CMake libraries (docs/design.md, "Layers"). The table (each layer's public
# include directories and the layers it may use) comes from tools/layers.py, its one home.
# rumpk_layer() makes one OBJECT library per layer that exposes only its own include
# directories and sees only those of the layers it may use, so an include across an arrow the
# table does not allow fails to compile.
execute_process(COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tools/layers.py cmake
                OUTPUT_FILE ${CMAKE_BINARY_DIR}/layers_table.cmake
                RESULT_VARIABLE rumpk_layers_rc)
if(NOT rumpk_layers_rc EQUAL 0)
  message(FATAL_ERROR "tools/layers.py cmake failed (${rumpk_layers_rc})")
endif()
set_property(DIRECTORY ${CMAKE_SOURCE_DIR} APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
             ${CMAKE_SOURCE_DIR}/tools/layers.py)
include(${CMAKE_BINARY_DIR}/layers_table.cmake)
# The ABI between user fibers and the kernel: headers only.
add_library(rumpk_abi INTERFACE)
target_include_directories(rumpk_abi INTERFACE ${CMAKE_SOURCE_DIR}/abi/include ${RUMPK_ION_GEN_DIR})

# rumpk_layer(NAME SOURCES src... [EXTRA_INCLUDES dir...]): OBJECT library rumpk_<NAME>.
# EXTRA_INCLUDES: generated headers the layer owns (framework: <virtio_gen/...>).
function(rumpk_layer name)
  cmake_parse_arguments(L "" "" "SOURCES;EXTRA_INCLUDES" ${ARGN})
  if(NOT name IN_LIST RUMPK_LAYERS)
    message(FATAL_ERROR "rumpk_layer: ${name} is not in tools/layers.py")
  endif()
  add_library(rumpk_${name} OBJECT ${L_SOURCES})
  set(inc)
  foreach(d ${RUMPK_LAYER_${name}_INCLUDE})
    list(APPEND inc ${CMAKE_SOURCE_DIR}/${d})
  endforeach()
  target_include_directories(rumpk_${name} PUBLIC ${inc} ${L_EXTRA_INCLUDES})
  foreach(u ${RUMPK_LAYER_${name}_USES})
    if(NOT TARGET rumpk_${u})
      message(FATAL_ERROR "rumpk_layer: ${name} uses ${u}, which is not defined yet")
    endif()
    target_link_libraries(rumpk_${name} PRIVATE rumpk_${u})
  endforeach()
  if(TARGET rumpk_gen)
    add_dependencies(rumpk_${name} rumpk_gen)
  endif()
endfunction()

# The portable layers, built by both trees: the virtio core, the network stack, the device
# plugins, the Valve and the ports. GEN_SRCS: the generator's outputs (the registry is left to the image).
function(rumpk_portable_layers)
  cmake_parse_arguments(P "" "GEN_INC" "GEN_SRCS;DEVICE_DIRS" ${ARGN})
  set(gen_c ${P_GEN_SRCS})
  list(FILTER gen_c INCLUDE REGEX "virtio_tables\\.c$")
  rumpk_sources_of(fw ${CMAKE_SOURCE_DIR}/framework)
  rumpk_layer(framework SOURCES ${fw} ${gen_c} EXTRA_INCLUDES ${P_GEN_INC})
  rumpk_sources_of(ns ${CMAKE_SOURCE_DIR}/netstack)
  rumpk_layer(netstack SOURCES ${ns})
  rumpk_sources_of(vlv ${CMAKE_SOURCE_DIR}/valve)
  rumpk_layer(valve SOURCES ${vlv})
  rumpk_sources_of(ports ${CMAKE_SOURCE_DIR}/ports)
  rumpk_layer(ports SOURCES ${ports})
  rumpk_sources_of(dev ${P_DEVICE_DIRS})
  if(RUMPK_SHELL_SOURCES)
    list(REMOVE_ITEM dev ${RUMPK_SHELL_SOURCES}) # the shell's (plugin_shell), not the devices'
  endif()
  if(RUMPK_ION_SHIM_SOURCES)
    list(REMOVE_ITEM dev ${RUMPK_ION_SHIM_SOURCES}) # the user library's, not the kernel's
  endif()
  rumpk_layer(devices SOURCES ${dev})
  rumpk_sources_of(ion ${CMAKE_SOURCE_DIR}/ion)
  rumpk_layer(ion SOURCES ${ion})
  rumpk_sources_of(caps ${CMAKE_SOURCE_DIR}/caps)
  rumpk_layer(caps SOURCES ${caps})
endfunction()
