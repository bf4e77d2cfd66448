# Transports and the PCI bus layer: the pure modules (allocator, enumeration over a simulated
# config space from kernel/pci/; virtio capability parsing from transports/pci-common/) and the
# MMIO transport, tested on the host.
set(RUMPK_PCI_DIR ${CMAKE_SOURCE_DIR}/kernel/pci)
set(RUMPK_PCI_COMMON_DIR ${CMAKE_SOURCE_DIR}/transports/pci-common)

rumpk_host_test(test_pci_alloc
                ${CMAKE_SOURCE_DIR}/tests/host/test_pci_alloc.c
                ${RUMPK_PCI_DIR}/pci_alloc.c
                INCLUDES ${RUMPK_PCI_DIR})

rumpk_host_test(test_pci_caps
                ${CMAKE_SOURCE_DIR}/tests/host/test_pci_caps.c
                ${RUMPK_PCI_COMMON_DIR}/virtio_pci_caps.c
                INCLUDES ${RUMPK_PCI_COMMON_DIR}/include)

rumpk_host_test(test_pci_enum
                ${CMAKE_SOURCE_DIR}/tests/host/test_pci_enum.c
                ${RUMPK_PCI_DIR}/pci_enum.c
                ${RUMPK_PCI_DIR}/pci_alloc.c
                INCLUDES ${RUMPK_PCI_DIR} ${RUMPK_PCI_DIR}/include ${CMAKE_SOURCE_DIR}/kernel/include)

rumpk_host_test(test_transport_mmio
                ${CMAKE_SOURCE_DIR}/tests/host/test_transport_mmio.c
                ${CMAKE_SOURCE_DIR}/transports/mmio/virtio_mmio.c)
