# Generator tests (included by tests/CMakeLists.txt):
#   gen_virtio        unit tests of tools/gen_virtio.py (constants vs the spec, output compiles
#                     for host and riscv64, lookups/registry behave, bad manifests -> file:line)
#   gen_virtio_cmake  a tiny CMake project using cmake/virtio_gen.cmake: builds, does not
#                     regenerate on a no-op rebuild, fails the build on a broken manifest with
#                     the generator's message, recovers when it is fixed
add_test(NAME gen_virtio
         COMMAND ${Python3_EXECUTABLE} -m unittest discover -s ${CMAKE_SOURCE_DIR}/tools/tests -v)
set_tests_properties(gen_virtio PROPERTIES LABELS host TIMEOUT 120
                     ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1")

add_test(NAME gen_virtio_cmake
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tools/tests/cmake_gen_check.py -v)
set_tests_properties(gen_virtio_cmake PROPERTIES LABELS host TIMEOUT 300
                     ENVIRONMENT "RUMPK_CMAKE=${CMAKE_COMMAND};PYTHONDONTWRITEBYTECODE=1")
