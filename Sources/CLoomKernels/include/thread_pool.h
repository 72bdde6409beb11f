// A small pool of worker threads that spin briefly between jobs, for the many short parallel regions
// of a decoder step (a Llama token runs ~150 of them, each tens of microseconds long).
//
// Handing work to a sleeping thread costs a futex wake-up (5-50 us); Dispatch's concurrentPerform
// pays that, or a queue hand-off, on every region. Here each worker polls its own flag for a short
// while after a job (LOOM_POOL_SPIN_US, default 300 us), so back-to-back regions start at once; then it
// sleeps on a futex and costs nothing. `loom_pool_park` sends spinning workers to sleep at once: Loom
// calls it before OpenBLAS runs its own threads, so the two pools never fight for the same cores.
#ifndef CLOOM_THREAD_POOL_H
#define CLOOM_THREAD_POOL_H

#ifdef __cplusplus
extern "C" {
#endif

/// A job: runs part `index` of a parallel region with the caller's context.
typedef void (*loom_pool_task)(void *context, int index);

/// Runs task(context, i) once for every i in [0, count) on the calling thread and up to count - 1
/// pool workers (started on first need, at most 63); each takes the next index not yet taken, so a
/// worker that is slow to wake never holds the region up. Returns 0 when all have finished.
/// Returns -1 at once, without running anything, when the pool is serving another caller (a second
/// thread, or a nested call from inside a task), when it is switched off (environment LOOM_POOL=off),
/// or when count is above 65535; the caller then runs the region some other way (ComputeThreads:
/// Dispatch). It never waits for another caller's region.
int loom_pool_run(int count, loom_pool_task task, void *context);

/// Workers that are spinning go to sleep now (until their next job).
void loom_pool_park(void);

/// Workers started so far (for tests).
int loom_pool_workers(void);

#ifdef __cplusplus
}
#endif

#endif
