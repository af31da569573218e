#ifndef LATHE_CPREFETCH_H
#define LATHE_CPREFETCH_H
/* Software prefetch for streaming weight rows: Swift has no prefetch intrinsic. Inlined into Swift callers. */
static inline void lathe_prefetch(const void *p) { __builtin_prefetch(p, 0, 3); }
#endif
