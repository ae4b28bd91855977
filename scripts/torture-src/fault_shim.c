/* LD_PRELOAD shim for scripts/torture fsync-error: makes the disk under the log fail with EIO at a seeded
 * moment, where device-mapper (dm-error, dm-flakey) is not available.
 *
 * It interposes fsync, fdatasync, msync, pwrite and pwrite64. Only calls on a file named data.mdb (LMDB's
 * data file) are counted or failed; msync is failed once the fault is on (LMDB without MDB_WRITEMAP does
 * not use it). Environment:
 *   LMDS_FAULT_TARGET      "sync": fsync/fdatasync of data.mdb fail (the commit's data pages are not durable);
 *                          "meta": pwrite of a meta page of data.mdb (offset < 2 pages; LMDB writes it with
 *                          O_DSYNC as the last step of a commit) fails, which makes LMDB mark the environment
 *                          unusable (MDB_PANIC on later calls).
 *   LMDS_FAULT_AFTER       the number of such calls that succeed before the first failure (default: never fail).
 *   LMDS_FAULT_FILE        a path: while it exists, the fault is on too (a control file).
 * Once on, the fault stays on (a failing disk does not heal): every later call of the target kind on
 * data.mdb, and every msync, fails with EIO without doing anything. One line on stderr says when it started.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <unistd.h>

/* Offsets below this are LMDB's two meta pages (page size 4096 on Linux). */
#define META_BYTES (2 * 4096)

static atomic_long calls_seen;
static atomic_int fault_on;

static int is_data_file(int fd) {
    char link[64], path[PATH_MAX];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t length = readlink(link, path, sizeof path - 1);
    if (length <= 0) return 0;
    path[length] = 0;
    const char *base = strrchr(path, '/');
    return strcmp(base ? base + 1 : path, "data.mdb") == 0;
}

static int target_is(const char *kind) {
    const char *target = getenv("LMDS_FAULT_TARGET");
    return strcmp(target ? target : "sync", kind) == 0;
}

/* Counts one call of the target kind on data.mdb; returns whether it must fail. */
static int must_fail(const char *what) {
    if (atomic_load(&fault_on)) return 1;
    long seen = atomic_fetch_add(&calls_seen, 1);
    const char *after = getenv("LMDS_FAULT_AFTER");
    const char *file = getenv("LMDS_FAULT_FILE");
    int now = (after && *after && seen >= atol(after)) || (file && *file && access(file, F_OK) == 0);
    if (!now) return 0;
    if (!atomic_exchange(&fault_on, 1)) {
        char line[160];
        int length = snprintf(line, sizeof line, "lmds-fault-shim: %s of data.mdb fails with EIO from call %ld on\n", what, seen + 1);
        if (length > 0) (void)!write(2, line, (size_t)length);
    }
    return 1;
}

/* The next definition of `name` (libc's), looked up once. */
#define REAL(name) static __typeof__(&name) real_##name; if (!real_##name) real_##name = (__typeof__(&name))dlsym(RTLD_NEXT, #name)

int fsync(int fd) {
    REAL(fsync);
    if (target_is("sync") && is_data_file(fd) && must_fail("fsync")) { errno = EIO; return -1; }
    return real_fsync(fd);
}

int fdatasync(int fd) {
    REAL(fdatasync);
    if (target_is("sync") && is_data_file(fd) && must_fail("fdatasync")) { errno = EIO; return -1; }
    return real_fdatasync(fd);
}

int msync(void *address, size_t length, int flags) {
    REAL(msync);
    if (atomic_load(&fault_on)) { errno = EIO; return -1; }
    return real_msync(address, length, flags);
}

static int meta_write_fails(int fd, off_t offset) {
    return target_is("meta") && offset < META_BYTES && is_data_file(fd) && must_fail("a meta-page pwrite");
}

ssize_t pwrite(int fd, const void *buffer, size_t count, off_t offset) {
    REAL(pwrite);
    if (meta_write_fails(fd, offset)) { errno = EIO; return -1; }
    return real_pwrite(fd, buffer, count, offset);
}

ssize_t pwrite64(int fd, const void *buffer, size_t count, off_t offset) {
    REAL(pwrite64);
    if (meta_write_fails(fd, offset)) { errno = EIO; return -1; }
    return real_pwrite64(fd, buffer, count, offset);
}
