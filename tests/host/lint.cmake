# Static checks (included by tests/CMakeLists.txt), both run by tools/lint.sh (docs/lint.md):
#   lint_format    clang-format --dry-run --Werror on every tracked *.c / *.h
#   lint_cppcheck  cppcheck (warning, performance, portability) on the kernel and simulator sources
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
