# Static checks (included by tests/CMakeLists.txt), the first two run by tools/lint.sh
# (docs/lint.md):
#   lint_format    clang-format --dry-run --Werror on every tracked *.c / *.h
#   lint_cppcheck  cppcheck (warning, performance, portability) on the kernel and simulator sources
#   lint_layers    tools/layers.py check: every #include against the layer table (docs/design.md)
#   lint_layers_selftest  tests/script/test_layers.py: the check fails on made-up upward arrows
# Each fails, naming the tool, when its tool is not installed; `./rumpk setup` installs both.
# clang-tidy is run by hand (`tools/lint.sh tidy`): it takes longer than a test should.
find_program(RUMPK_BASH bash)
if(NOT RUMPK_BASH)
  set(RUMPK_BASH bash)
endif()
foreach(check format cppcheck)
  add_test(NAME lint_${check} COMMAND ${RUMPK_BASH} ${CMAKE_SOURCE_DIR}/tools/lint.sh ${check})
  set_tests_properties(lint_${check} PROPERTIES LABELS lint TIMEOUT 120)
endforeach()

add_test(NAME lint_layers COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tools/layers.py check)
add_test(NAME lint_layers_selftest COMMAND ${Python3_EXECUTABLE} -m unittest -v test_layers
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}/tests/script)
set_tests_properties(lint_layers lint_layers_selftest PROPERTIES LABELS lint TIMEOUT 60
                     ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1")
