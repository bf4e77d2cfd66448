/* The kernel side of os.h's user-memory access for plugin ION handlers: every byte goes
 * through the calling fiber's page table (kernel/vm.c), never a raw pointer. */
#include <errno.h>

#include <kernel/fiber.h>
#include <kernel/vm.h>
#include <virtio/os.h>

int os_user_copyin(void *dst, uint64_t user_src, size_t len)
{
    pte_t *space = fiber_space();
    return space ? vm_copyin(space, dst, user_src, len) : -EFAULT;
}

int os_user_copyout(uint64_t user_dst, const void *src, size_t len)
{
    pte_t *space = fiber_space();
    return space ? vm_copyout(space, user_dst, src, len) : -EFAULT;
}
