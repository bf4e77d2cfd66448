# Cross toolchain for the kernel: Debian's gcc-riscv64-unknown-elf with picolibc as the
# freestanding C library. Used for build/riscv64 only; the host tree uses the native gcc.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR riscv64)
set(CMAKE_C_COMPILER riscv64-unknown-elf-gcc)
set(CMAKE_ASM_COMPILER riscv64-unknown-elf-gcc)
set(CMAKE_OBJCOPY riscv64-unknown-elf-objcopy)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

set(RUMPK_ARCH_FLAGS "-march=rv64gc -mabi=lp64d -mcmodel=medany --specs=picolibc.specs")
set(CMAKE_C_FLAGS_INIT "${RUMPK_ARCH_FLAGS} -ffreestanding -fno-common -fno-builtin-printf")
set(CMAKE_ASM_FLAGS_INIT "${RUMPK_ARCH_FLAGS}")
# CMAKE_C_FLAGS (with the specs) are on the link line already.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-nostartfiles -Wl,--gc-sections")

set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
