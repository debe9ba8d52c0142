// A small persistent thread pool for Parallel.forEach: workers spin briefly on a generation
// counter before sleeping, so the back-to-back parallel regions of a training step (each GEMM,
// each packing pass) start in well under a microsecond instead of waking threads every time.
//
// Sharing the machine: tasks are claimed one at a time from a shared counter, and the calling
// thread claims them too, so a worker that the OS has not scheduled (another process holds its
// core) never stalls a job: it simply claims nothing. A worker *joins* a job before claiming
// (one atomic word holds the job's number, a closed bit and the count of joined workers); once
// every task is claimed the caller closes the job and waits only for the workers that joined,
// which are running a task, not for absent ones. Waits spin briefly, then yield the core.
#include "synapse_kernels.h"
#include <pthread.h>
#include <stdatomic.h>
#include <sched.h>
#include <stdlib.h>
#if defined(__x86_64__)
#include <immintrin.h>
#define PAUSE() _mm_pause()
#else
#define PAUSE() sched_yield()
#endif

#define MAX_WORKERS 63
#define SPINS 4000

static pthread_t workers[MAX_WORKERS];
static int worker_count = 0;
static pthread_mutex_t start_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t job_lock = PTHREAD_MUTEX_INITIALIZER;   // one job at a time
static pthread_mutex_t sleep_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;

static _Atomic unsigned long generation = 0;
static _Atomic long next_task = 0;
static _Atomic int sleepers = 0;
// The job's admission word: bits 32... the job's generation (low 31 bits), bit 31 closed, bits
// 0..<31 the number of workers that joined and have not left.
#define CLOSED (1ul << 31)
#define MEMBERS (CLOSED - 1)
static _Atomic unsigned long admission = CLOSED;
static long job_tasks = 0;
static int job_workers = 0;
static synapse_task_function job_function = 0;
static void *job_context = 0;
static _Thread_local int inside_job = 0;

static void run_tasks(void) {
    long task;
    while ((task = atomic_fetch_add_explicit(&next_task, 1, memory_order_relaxed)) < job_tasks) job_function(job_context, task);
}

/* Joins job `job` unless it is closed (all its tasks claimed) or already replaced by a newer one. */
static int join(unsigned long job) {
    unsigned long word = atomic_load_explicit(&admission, memory_order_acquire);
    for (;;) {
        if ((word >> 32) != (job & 0x7fffffff) || (word & CLOSED)) return 0;
        if (atomic_compare_exchange_weak_explicit(&admission, &word, word + 1, memory_order_acq_rel, memory_order_acquire)) return 1;
    }
}

/* Spins briefly, then gives the core away (a waited-for thread may need it). */
static void backoff(int *spins) {
    if (++*spins < SPINS) PAUSE(); else sched_yield();
}

struct worker_start { long index; unsigned long seen; };

static void *worker_main(void *argument) {
    struct worker_start start = *(struct worker_start *)argument;
    free(argument);
    long index = start.index;
    unsigned long seen = start.seen;   // the generation before the worker existed
    inside_job = 1;
    for (;;) {
        int spins = 0;
        unsigned long now;
        while ((now = atomic_load_explicit(&generation, memory_order_acquire)) == seen) {
            if (++spins < SPINS) { PAUSE(); continue; }
            pthread_mutex_lock(&sleep_lock);
            atomic_fetch_add(&sleepers, 1);
            while (atomic_load_explicit(&generation, memory_order_acquire) == seen) pthread_cond_wait(&wake, &sleep_lock);
            atomic_fetch_sub(&sleepers, 1);
            pthread_mutex_unlock(&sleep_lock);
            spins = 0;
        }
        seen = now;
        // A worker that wakes late finds the job closed (or a newer one) and goes back to waiting.
        if (join(now)) {
            // Joined: the job's fields stay as they are until this worker leaves.
            if (index < job_workers) run_tasks();
            atomic_fetch_sub_explicit(&admission, 1, memory_order_release);
        }
    }
    return 0;
}

void synapse_parallel_for(long tasks, int threads, synapse_task_function function, void *context) {
    if (tasks <= 1 || threads <= 1 || inside_job || pthread_mutex_trylock(&job_lock) != 0) {
        // Nested, concurrent or trivial calls run inline, in task order.
        for (long task = 0; task < tasks; task++) function(context, task);
        return;
    }
    int wanted = threads - 1 > MAX_WORKERS ? MAX_WORKERS : threads - 1;
    pthread_mutex_lock(&start_lock);
    while (worker_count < wanted) {
        struct worker_start *start = malloc(sizeof *start);
        if (!start) break;
        start->index = worker_count;
        start->seen = atomic_load(&generation);
        if (pthread_create(&workers[worker_count], 0, worker_main, start) != 0) { free(start); break; }
        pthread_detach(workers[worker_count]);
        worker_count++;
    }
    int pool = worker_count;
    pthread_mutex_unlock(&start_lock);

    // The previous job is closed with no members, so no worker reads these while they change.
    job_tasks = tasks;
    job_function = function;
    job_context = context;
    job_workers = (int)(tasks - 1 < wanted ? tasks - 1 : wanted);
    if (job_workers > pool) job_workers = pool;
    atomic_store_explicit(&next_task, 0, memory_order_relaxed);
    unsigned long job = atomic_load_explicit(&generation, memory_order_relaxed) + 1;
    atomic_store_explicit(&admission, (job & 0x7fffffff) << 32, memory_order_release);   // open, no members
    atomic_store_explicit(&generation, job, memory_order_release);
    if (atomic_load(&sleepers) > 0) {
        pthread_mutex_lock(&sleep_lock);
        pthread_cond_broadcast(&wake);
        pthread_mutex_unlock(&sleep_lock);
    }
    inside_job = 1;
    run_tasks();
    inside_job = 0;
    // Every task is claimed: close the job, then wait for the workers that joined to finish theirs.
    unsigned long word = atomic_fetch_or_explicit(&admission, CLOSED, memory_order_acq_rel) | CLOSED;
    int spins = 0;
    while ((word & MEMBERS) != 0) {
        backoff(&spins);
        word = atomic_load_explicit(&admission, memory_order_acquire);
    }
    pthread_mutex_unlock(&job_lock);
}

static _Atomic int thread_override = 0;

int synapse_thread_override(void) { return atomic_load_explicit(&thread_override, memory_order_relaxed); }

void synapse_set_thread_override(int threads) { atomic_store_explicit(&thread_override, threads, memory_order_relaxed); }
