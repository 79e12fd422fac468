// CMemoryFile: Linux memory files (memfd_create and seals), which Glibc's Swift module leaves out (they need _GNU_SOURCE).
#ifndef GATEHOUSE_CMEMORYFILE_SHIM_H
#define GATEHOUSE_CMEMORYFILE_SHIM_H
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

// Values from <linux/memfd.h> and <linux/fcntl.h>, part of the kernel ABI.
#define GATEHOUSE_MFD_CLOEXEC 0x0001U
#define GATEHOUSE_MFD_ALLOW_SEALING 0x0002U
#define GATEHOUSE_F_ADD_SEALS 1033
#define GATEHOUSE_F_SEAL_SEAL 0x0001
#define GATEHOUSE_F_SEAL_SHRINK 0x0002
#define GATEHOUSE_F_SEAL_GROW 0x0004
#define GATEHOUSE_F_SEAL_WRITE 0x0008

/// An anonymous file in memory, closed on exec and sealable; -1 with errno on failure
/// (ENOSYS on kernels before 3.17, EPERM under some seccomp profiles).
static inline int gatehouse_memfd_create(const char *name) {
    return (int)syscall(SYS_memfd_create, name, GATEHOUSE_MFD_CLOEXEC | GATEHOUSE_MFD_ALLOW_SEALING);
}

/// Forbids every later write, resize and seal change: its pages may be lent to the network stack
/// by sendfile, so they must never change once written.
static inline int gatehouse_memfd_seal(int fd) {
    return fcntl(fd, GATEHOUSE_F_ADD_SEALS,
                 GATEHOUSE_F_SEAL_SEAL | GATEHOUSE_F_SEAL_SHRINK | GATEHOUSE_F_SEAL_GROW | GATEHOUSE_F_SEAL_WRITE);
}
#endif
