# tools/mutate.py (./rumpk mutate) on its own fixture project (tests/fixtures/mutate): a
# killed mutant, a survivor, a stale list. The real run over tools/mutate/checks.list takes
# minutes and is not part of the suite.
add_test(NAME mutate_selftest COMMAND ${Python3_EXECUTABLE} -m unittest -v test_mutate
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}/tests/script)
set_tests_properties(mutate_selftest PROPERTIES LABELS host TIMEOUT 300
                     ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1")
