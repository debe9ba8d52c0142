// Private to the C kernels: the per-CPU compilation macro and the cached CPU level.
#ifndef SYNAPSE_INTERNAL_H
#define SYNAPSE_INTERNAL_H

// ThreadSanitizer instruments ifunc resolvers, which the dynamic loader runs before TSan is set
// up (a crash at start-up): under TSan the loops are compiled once, for the baseline CPU.
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SYNAPSE_NO_IFUNC 1
#endif
#endif
#if defined(__x86_64__) && defined(__linux__) && !defined(SYNAPSE_NO_IFUNC)
#define CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define CLONES
#endif

/// `synapse_cpu_level()`, asked once (cpu.c).
int synapse_cached_cpu_level(void);

#endif
