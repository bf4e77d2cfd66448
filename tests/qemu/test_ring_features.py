"""Indirect descriptors and VIRTIO_F_ACCESS_PLATFORM on QEMU. Indirect tables are on by default
(every other QEMU test uses them); here `indirect_desc=off` with split and with packed rings must
work exactly the same, on pci-modern, pci-transitional and mmio-v2. `iommu_platform=on` (QEMU
7.2 refuses it for legacy and transitional devices) is accepted on pci-modern and mmio-v2, split
and packed, and the devices work as without it. Each boot checks lsdev, the block round trips on
the host image and DHCP, ping and UDP echo."""
import unittest

from harness import QemuTestCase
from ring_common import full_run


class RingFeaturesTest(QemuTestCase):
    def test_indirect_off_split_pci_modern(self):
        full_run(self, "pci-modern", ",indirect_desc=off", [], ["RING_INDIRECT_DESC"])

    def test_indirect_off_packed_pci_transitional(self):
        full_run(self, "pci-transitional", ",packed=on,indirect_desc=off", ["RING_PACKED"],
                 ["RING_INDIRECT_DESC"])

    def test_indirect_off_packed_mmio_v2(self):
        full_run(self, "mmio-v2", ",packed=on,indirect_desc=off", ["RING_PACKED"],
                 ["RING_INDIRECT_DESC"])

    def test_iommu_platform_pci_modern(self):
        full_run(self, "pci-modern", ",iommu_platform=on", ["ACCESS_PLATFORM"], ["RING_PACKED"])

    def test_iommu_platform_packed_mmio_v2(self):
        full_run(self, "mmio-v2", ",iommu_platform=on,packed=on",
                 ["ACCESS_PLATFORM", "RING_PACKED"], [])


if __name__ == "__main__":
    unittest.main()
