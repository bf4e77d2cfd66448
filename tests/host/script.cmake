# The ./rumpk script itself (included by tests/CMakeLists.txt):
#   rumpk_setup   `./rumpk setup` when packages cannot be installed (no apt, no network, not
#                 root and no sudo, unknown package): one line naming them, exit 1
add_test(NAME rumpk_setup
         COMMAND ${Python3_EXECUTABLE} -m unittest -v test_rumpk_setup
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}/tests/script)
set_tests_properties(rumpk_setup PROPERTIES LABELS host TIMEOUT 60
                     ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1")
