"""Packed virtqueues (VIRTIO_F_RING_PACKED) on QEMU: with `packed=on` on the disk and the NIC,
on pci-modern, pci-transitional and mmio-v2, `lsdev` shows RING_PACKED negotiated for both;
block round trips are checked on the host image and DHCP, ping and UDP echo run over the
packed-ring NIC. `virtio.ring=split` keeps split rings although the device offers packed ones,
and legacy transports (which cannot offer bit 34) stay split with packed=on."""
import unittest

from harness import QemuTestCase
from ring_common import full_run


class RingPackedTest(QemuTestCase):
    def test_packed_pci_modern(self):
        full_run(self, "pci-modern", ",packed=on", ["RING_PACKED", "RING_INDIRECT_DESC"], [])

    def test_packed_pci_transitional(self):
        full_run(self, "pci-transitional", ",packed=on", ["RING_PACKED", "RING_INDIRECT_DESC"],
                 [])

    def test_packed_mmio_v2(self):
        full_run(self, "mmio-v2", ",packed=on", ["RING_PACKED", "RING_INDIRECT_DESC"], [])

    def test_ring_split_forced(self):
        full_run(self, "pci-modern", ",packed=on", ["VERSION_1", "RING_INDIRECT_DESC"],
                 ["RING_PACKED"], append="virtio.ring=split", net=False)

    def test_legacy_transport_stays_split(self):
        full_run(self, "pci-legacy", ",packed=on", ["RING_INDIRECT_DESC"],
                 ["RING_PACKED", "VERSION_1"], net=False)


if __name__ == "__main__":
    unittest.main()
