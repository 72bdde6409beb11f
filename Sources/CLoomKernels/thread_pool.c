// Spin-then-sleep worker pool; see include/thread_pool.h for why.
//
// A region's parts are claimed, not assigned: the caller and the workers take the next unclaimed
// index from `claim` until none is left. A worker that is late (asleep, or its core taken by another
// process) costs nothing: the caller runs the parts itself, as Dispatch's concurrentPerform does.
// Part i always covers the same items, so results do not depend on who ran it.
//
// `claim` packs the region's generation (32 bits), its part count (16) and the next unclaimed index
// (16). A worker's compare-and-swap succeeds only while the region it read is still being handed out;
// the caller writes the next region's task only after every part of this one was claimed and finished,
// then publishes it with a release store of `claim`. So a late worker never runs a newer region's
// part with an older region's task, nor a part twice.
//
// Waking: each worker owns a slot on its own cache line with a `go` counter the caller bumps; the
// worker polls `go` (spinning with `pause`) for the spin period, then sets `sleeping` and waits on
// the futex of `go`; the caller wakes it only when `sleeping` is set. Both sides use sequentially
// consistent operations for that pair, so a wake-up is never lost.
#define _GNU_SOURCE
#include "thread_pool.h"

#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause()
#else
#define CPU_RELAX() ((void)0)
#endif

enum { MAX_WORKERS = 63 };

typedef struct {
    _Alignas(64) _Atomic uint32_t go;  // bumped by the caller to call this worker to a region
    _Atomic uint32_t sleeping;         // 1 while the worker waits on the futex of `go`
} worker_slot;

static worker_slot slots[MAX_WORKERS];
static _Alignas(64) _Atomic uint64_t claim;        // generation << 32 | count << 16 | next index
static _Atomic(loom_pool_task) region_task;         // the current region, written before `claim`
static _Atomic(void *) region_context;
static _Alignas(64) _Atomic int done;              // parts of the current region finished
static _Alignas(64) _Atomic uint32_t park_epoch;   // bumped by loom_pool_park
static atomic_flag busy = ATOMIC_FLAG_INIT;        // held by the caller of a region
static int started;                                // workers running; changed only under `busy`
static int64_t spin_ns = -1;                       // read once, under `busy`
static int disabled = -1;                          // LOOM_POOL=off; read once, under `busy`

static int64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static void futex_wait(_Atomic uint32_t *word, uint32_t expected) {
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAIT_PRIVATE, expected, NULL, NULL, 0);
}

static void futex_wake(_Atomic uint32_t *word) {
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/// Waits until `slot->go` differs from `seen`: spins for up to `spin` ns (or until parked), then sleeps.
static uint32_t wait_for_job(worker_slot *slot, uint32_t seen, int64_t spin) {
    for (;;) {
        uint32_t epoch = atomic_load_explicit(&park_epoch, memory_order_relaxed);
        int64_t deadline = now_ns() + spin;
        for (unsigned i = 1;; i++) {
            uint32_t go = atomic_load_explicit(&slot->go, memory_order_acquire);
            if (go != seen) return go;
            CPU_RELAX();
            if ((i & 63) == 0) {
                if (atomic_load_explicit(&park_epoch, memory_order_relaxed) != epoch) break;
                if (now_ns() > deadline) break;
            }
        }
        atomic_store(&slot->sleeping, 1);
        futex_wait(&slot->go, seen);
        atomic_store(&slot->sleeping, 0);
    }
}

typedef struct {
    worker_slot *slot;
    int64_t spin;
} worker_start;

/// Claims and runs parts of the current region until none is left.
static void run_parts(void) {
    uint64_t current = atomic_load_explicit(&claim, memory_order_acquire);
    for (;;) {
        uint32_t count = (uint32_t)(current >> 16) & 0xffff, index = (uint32_t)current & 0xffff;
        if (index >= count) return;
        loom_pool_task task = atomic_load_explicit(&region_task, memory_order_relaxed);
        void *context = atomic_load_explicit(&region_context, memory_order_relaxed);
        // Succeeds only while `claim` is unchanged: this region, not fully handed out, so the task
        // read above is still its task.
        if (atomic_compare_exchange_weak_explicit(&claim, &current, current + 1, memory_order_acquire,
                                                  memory_order_acquire)) {
            task(context, (int)index);
            atomic_fetch_add_explicit(&done, 1, memory_order_release);
            current = atomic_load_explicit(&claim, memory_order_acquire);
        }
    }
}

static void *worker_main(void *argument) {
    worker_start start = *(worker_start *)argument;
    free(argument);
    uint32_t seen = 0;
    for (;;) {
        seen = wait_for_job(start.slot, seen, start.spin);
        run_parts();
    }
    return NULL;
}

static int64_t configured_spin_ns(void) {
    const char *text = getenv("LOOM_POOL_SPIN_US");
    long us = text ? strtol(text, NULL, 10) : 300;
    if (us < 0) us = 0;
    return (int64_t)us * 1000;
}

/// Starts workers up to `needed`; caller holds `busy`. Returns how many are running.
static int start_workers(int needed) {
    if (spin_ns < 0) spin_ns = configured_spin_ns();
    while (started < needed && started < MAX_WORKERS) {
        worker_start *argument = malloc(sizeof *argument);
        if (!argument) break;
        argument->slot = &slots[started];
        argument->spin = spin_ns;
        pthread_attr_t attributes;
        pthread_attr_init(&attributes);
        pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
        pthread_t thread;
        int failed = pthread_create(&thread, &attributes, worker_main, argument);
        pthread_attr_destroy(&attributes);
        if (failed) {
            free(argument);
            break;
        }
        started++;
    }
    return started;
}

int loom_pool_run(int count, loom_pool_task task, void *context) {
    if (count <= 1) {
        if (count == 1) task(context, 0);
        return 0;
    }
    if (count > 0xffff) return -1;
    // One caller at a time: the slots, `claim` and `done` describe a single region. A second caller
    // (another thread, or a task of this region calling in) is turned away at once rather than made
    // to wait; ComputeThreads.forEachChunk then runs its region on Dispatch.
    if (atomic_flag_test_and_set_explicit(&busy, memory_order_acquire)) return -1;
    if (disabled < 0) {
        const char *setting = getenv("LOOM_POOL");
        disabled = setting && (strcmp(setting, "off") == 0 || strcmp(setting, "0") == 0);
    }
    if (disabled || start_workers(count - 1) < count - 1) {
        atomic_flag_clear_explicit(&busy, memory_order_release);
        return -1;
    }
    atomic_store_explicit(&region_task, task, memory_order_relaxed);
    atomic_store_explicit(&region_context, context, memory_order_relaxed);
    atomic_store_explicit(&done, 0, memory_order_relaxed);
    uint64_t generation = (atomic_load_explicit(&claim, memory_order_relaxed) >> 32) + 1;
    atomic_store_explicit(&claim, generation << 32 | (uint64_t)count << 16, memory_order_release);
    for (int i = 0; i < count - 1; i++) {
        atomic_fetch_add(&slots[i].go, 1);  // seq_cst: pairs with the worker's store of `sleeping`
        if (atomic_load(&slots[i].sleeping)) futex_wake(&slots[i].go);
    }
    run_parts();
    // Parts claimed by workers may still be running.
    for (unsigned i = 1; atomic_load_explicit(&done, memory_order_acquire) != count; i++) {
        CPU_RELAX();
        // The worker running a part may have lost its core to another process: let it run.
        if ((i & 1023) == 0) sched_yield();
    }
    atomic_flag_clear_explicit(&busy, memory_order_release);
    return 0;
}

void loom_pool_park(void) {
    atomic_fetch_add_explicit(&park_epoch, 1, memory_order_relaxed);
}

int loom_pool_workers(void) {
    return started;  // a racy read is fine for a test's look
}
