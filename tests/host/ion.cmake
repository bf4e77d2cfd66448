# ION rings and capabilities (included by tests/CMakeLists.txt):
#   test_ion_ring  the kernel's side (ion/) against the fiber's (user/lib/ion.c): wrap-around,
#                  full, empty, and every hostile index and entry a fiber can write
#   test_cspace    create, copy with fewer rights, drop, revoke (copies of copies), revoke by
#                  object, forged and out-of-range slots, missing rights, no leaks
rumpk_host_test(test_ion_ring ${CMAKE_SOURCE_DIR}/tests/host/test_ion_ring.c
                ${CMAKE_SOURCE_DIR}/user/lib/ion.c
                INCLUDES ${CMAKE_SOURCE_DIR}/user/include ${CMAKE_SOURCE_DIR}/abi/include)
rumpk_host_test(test_cspace ${CMAKE_SOURCE_DIR}/tests/host/test_cspace.c)
# test_vm           kernel/vm.c's walker, user permissions, copies, pinning for DMA (with a
#                   host stand-in for <kernel/cpu.h> that counts satp writes and TLB flushes)
rumpk_host_test(test_vm ${CMAKE_SOURCE_DIR}/tests/host/test_vm.c ${CMAKE_SOURCE_DIR}/kernel/vm.c
                INCLUDES ${CMAKE_SOURCE_DIR}/tests/host/vm_stub ${CMAKE_SOURCE_DIR}/kernel/include
                         ${CMAKE_SOURCE_DIR}/abi/include)
