#ifndef LATHE_CSUPPORT_H
#define LATHE_CSUPPORT_H
/* C one-liners Swift cannot express: a prefetch intrinsic and glibc malloc tuning. Inlined into Swift callers. */
#include <malloc.h>

static inline void lathe_prefetch(const void *p) { __builtin_prefetch(p, 0, 3); }

/* Keep freed blocks up to 1 GB in the heap (no munmap, no trim): per-step activation buffers are then reused
   instead of being faulted in and cleared by the kernel every step. */
static inline void lathe_keep_freed_memory(void) {
    mallopt(M_MMAP_THRESHOLD, 1 << 30);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
}
#endif
