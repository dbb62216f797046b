// The worker pool behind loom_parallel_for.
//
// Why not libdispatch: in this VM a woken libdispatch worker takes ~22 us to start and a
// fork-join costs ~40 us, which is the whole runtime of a 128x512x512 GEMM. Here the workers
// are persistent pthreads that, after finishing a job, spin on an atomic word for a while
// (LOOM_SPIN_US, default 20 us ~ the cost of a futex wake-up, so a busy-waiting worker never
// wastes more than a sleep/wake would have cost) and then sleep on a condition variable.
// Back-to-back kernels therefore fork and join in well under a microsecond. Jobs that come
// within LOOM_BURST_SPIN_NS / 2 of each other make a burst, and a worker spins for twice the
// longest gap of its burst so far: a training step's products have serial work between them
// (the loss, a 10-class layer, bias gradients) that often outlasts 20 us, and a worker asleep
// there had to be woken for each product, arriving late to it (a KVM guest's wake-up is an
// inter-processor interrupt). A gap longer than that bound ends the burst.
//
// Job protocol. One 64-bit atomic `state` = generation << 32 | next unclaimed chunk. The caller
// writes the job fields, then publishes a new generation with chunk 0. Anyone (caller or
// worker) claims chunk i by a CAS from (gen, i) to (gen, i + 1); a CAS can only succeed while
// the job is unfinished (an unclaimed chunk remains), so the fields read just before it belong
// to that generation even if the worker was descheduled in between. Before writing the next
// job's fields the caller closes the finished job's word, (gen, LOOM_CLOSED), so that a worker
// comparing an old index with the next job's chunk count cannot claim anything. Finished chunks are
// counted in `done`; the caller returns when done == chunks. Because the caller claims chunks
// too, a slow-to-wake worker never delays the job: the caller simply runs more chunks.
//
// A busy machine. When another program's threads share the cores, the scheduler takes a core
// from a worker for whole time slices (milliseconds, the length of a training step). Two things
// keep that from stalling the job:
//   - A job is cut into up to LOOM_CHUNKS_PER_THREAD chunks per thread (default 4), claimed one
//     at a time, so a descheduled worker holds back only the one chunk it is running while the
//     others go to whoever is on a core.
//   - A caller left waiting for chunks held by a worker spins for twice the longest chunk it
//     ran itself (at least LOOM_JOIN_SPIN_US, default 20 us): a worker on a core finishes within
//     about one chunk's time, so on a quiet machine the caller never sleeps. Past that the worker
//     has most likely lost its core, and the caller sleeps until the last chunk is done. A
//     sleeping caller gives its core back, so the descheduled worker (or the other program) can
//     run there instead of the caller burning the core it was waiting for.
//   - A worker that finds it lost its core while waiting for the next job (two checks of its
//     spin, or a sched_yield, more than LOOM_PREEMPTED_NS apart) marks the machine busy for
//     LOOM_BUSY_NS, and until then workers sleep as soon as they run out of work instead of
//     spinning through the burst. Spinning, or yielding inside the spin, a worker is runnable
//     but not woken, so the other program's thread keeps the core for its whole time slice and
//     the next jobs run on the caller alone; asleep, the worker is woken by the next job and the
//     scheduler lets a thread that slept preempt one that did not. Beside one CPU-bound
//     process (the MLP step, `loom-bench shape 784-512-512-10 128 sgd`, /usr/bin/time): the
//     spinning pool got 1.05 cores of CPU time and 117-130 steps/s, sleeping at once 1.3 cores
//     and 139-151; on a quiet machine sleeping at once cost 10% (197-208 against 220-239), so
//     it is only done while the machine is busy.
//   - While the machine is busy, a worker keeps off the core its caller last ran on (Linux:
//     sched_setaffinity to the process's CPUs but that one, undone once the machine is quiet).
//     Woken by the caller, a worker was placed on the caller's core, and three runnable threads
//     on two cores then split as the two of Loom on one core and the other program alone on the
//     other: Loom got one core. Apart, one of them shares a core with the other program and Loom
//     gets one and a half. Beside one CPU-bound process, pinning the two threads to different
//     cores by hand took inference from 46-47k to 49-56k samples/s and the SGD step from
//     142-157 to 166-208 steps/s (three alternations).
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE // sched_getcpu, sched_setaffinity and cpu_set_t
#endif
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "loom_kernels.h"

#if defined(__x86_64__) || defined(__i386__)
#define LOOM_CPU_RELAX() __builtin_ia32_pause()
#elif defined(__aarch64__)
#define LOOM_CPU_RELAX() __asm__ __volatile__("yield")
#else
#define LOOM_CPU_RELAX() ((void)0)
#endif

#define LOOM_MAX_THREADS 256
// The longest a worker spins for the next job of a burst (see the top of this file).
#define LOOM_BURST_SPIN_NS 1000000
// The chunk index of a finished job's state word: above any chunk count, so nothing can be claimed.
#define LOOM_CLOSED 0xFFFFFFFFu
// A gap in a waiting worker's checks this long means another thread had its core (a check
// comes every 64 pauses, a few microseconds; a time slice is milliseconds).
#define LOOM_PREEMPTED_NS 200000
// How long a machine seen busy stays so: workers then sleep as soon as they are idle.
#define LOOM_BUSY_NS 100000000

typedef void (*loom_body)(void *, int64_t, int64_t);

static struct {
    pthread_mutex_t use;   // one job at a time; a second concurrent caller runs inline
    pthread_mutex_t sleep; // guards the condition variable
    pthread_cond_t wake;
    _Atomic uint64_t state;
    _Atomic(loom_body) body;
    _Atomic(void *) ctx;
    _Atomic int64_t n, chunks;
    _Atomic int64_t done;
    _Atomic int sleepers;
    pthread_cond_t finished; // signalled (under `sleep`) when the last chunk of a job is done
    _Atomic int caller_sleeps;
    _Atomic int caller_cpu; // the CPU the caller of the current job ran on (-1: unknown)
    int started; // workers created so far (guarded by `use`)
    uint32_t gen;
} P = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
       .finished = PTHREAD_COND_INITIALIZER};

static _Atomic int g_threads = 0; // 0 until first use
static _Atomic long g_spin_ns = -1;
static _Atomic long g_join_spin_ns = -1;
static _Atomic int g_chunks_per_thread = 0;
// Until this time (now_ns), the machine counts as busy (see the top of this file).
static _Atomic int64_t g_busy_until = 0;
static _Thread_local int tl_inside; // set while running pool work: nested calls run inline

static int default_threads(void) {
    const char *env = getenv("LOOM_NUM_THREADS");
    if (env) {
        int v = atoi(env);
        if (v >= 1) return v > LOOM_MAX_THREADS ? LOOM_MAX_THREADS : v;
    }
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1) n = 1;
    return n > LOOM_MAX_THREADS ? LOOM_MAX_THREADS : (int)n;
}

int loom_num_threads(void) {
    int n = atomic_load_explicit(&g_threads, memory_order_relaxed);
    if (n == 0) {
        int expected = 0;
        n = default_threads();
        if (!atomic_compare_exchange_strong(&g_threads, &expected, n)) n = expected;
    }
    return n;
}

void loom_set_num_threads(int n) {
    if (n < 1) n = 1;
    if (n > LOOM_MAX_THREADS) n = LOOM_MAX_THREADS;
    atomic_store(&g_threads, n);
}

// A duration in ns from the environment variable `name` (microseconds; default 20 us), read
// once into *cache (-1 until then).
static long env_spin_ns(const char *name, _Atomic long *cache) {
    long s = atomic_load_explicit(cache, memory_order_relaxed);
    if (s < 0) {
        const char *env = getenv(name);
        s = env ? atol(env) * 1000 : 20000;
        if (s < 0) s = 0;
        atomic_store(cache, s);
    }
    return s;
}

static long spin_ns(void) { return env_spin_ns("LOOM_SPIN_US", &g_spin_ns); }
static long join_spin_ns(void) { return env_spin_ns("LOOM_JOIN_SPIN_US", &g_join_spin_ns); }

int loom_chunks_per_thread(void) {
    int c = atomic_load_explicit(&g_chunks_per_thread, memory_order_relaxed);
    if (c == 0) {
        const char *env = getenv("LOOM_CHUNKS_PER_THREAD");
        c = env ? atoi(env) : 4;
        if (c < 1) c = 1;
        if (c > 64) c = 64;
        atomic_store(&g_chunks_per_thread, c);
    }
    return c;
}

static int64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

// Claims and runs chunks of generation `gen` until none is left; returns the longest chunk's
// duration in ns when `timed` (the caller's, for wait_for_chunks), else 0.
static int64_t run_chunks(uint32_t gen, int timed) {
    int64_t longest = 0;
    for (;;) {
        uint64_t s = atomic_load_explicit(&P.state, memory_order_acquire);
        if ((uint32_t)(s >> 32) != gen) return longest;
        int64_t idx = (int64_t)(uint32_t)s;
        loom_body body = atomic_load_explicit(&P.body, memory_order_acquire);
        void *ctx = atomic_load_explicit(&P.ctx, memory_order_acquire);
        int64_t n = atomic_load_explicit(&P.n, memory_order_acquire);
        int64_t chunks = atomic_load_explicit(&P.chunks, memory_order_acquire);
        if (idx >= chunks) return longest;
        if (!atomic_compare_exchange_weak_explicit(&P.state, &s, s + 1, memory_order_acq_rel,
                                                   memory_order_relaxed))
            continue;
        // Even split: the first n % chunks chunks get one extra iteration; all are >= grain.
        int64_t base = n / chunks, rem = n % chunks;
        int64_t begin = idx * base + (idx < rem ? idx : rem);
        int64_t end = begin + base + (idx < rem ? 1 : 0);
        const int64_t started = timed ? now_ns() : 0;
        body(ctx, begin, end);
        if (timed) {
            const int64_t took = now_ns() - started;
            if (took > longest) longest = took;
        }
        // The last chunk wakes a caller that went to sleep waiting for it. done++ and the read
        // of caller_sleeps are sequentially consistent against the caller's caller_sleeps = 1
        // and re-read of done, so the wake-up cannot be missed.
        if (atomic_fetch_add(&P.done, 1) + 1 == chunks && atomic_load(&P.caller_sleeps)) {
            pthread_mutex_lock(&P.sleep);
            pthread_cond_signal(&P.finished);
            pthread_mutex_unlock(&P.sleep);
        }
    }
}

// The caller, after its own chunks (the longest of which took `longest` ns): wait until every
// chunk is done, spinning first for twice that (at least LOOM_JOIN_SPIN_US), then asleep.
static void wait_for_chunks(int64_t chunks, int64_t longest) {
    if (atomic_load_explicit(&P.done, memory_order_acquire) >= chunks) return;
    const int64_t spin = 2 * longest > join_spin_ns() ? 2 * longest : join_spin_ns();
    const int64_t deadline = now_ns() + spin;
    for (unsigned i = 1; atomic_load_explicit(&P.done, memory_order_acquire) < chunks; i++) {
        LOOM_CPU_RELAX();
        if ((i & 63) == 0 && now_ns() > deadline) {
            pthread_mutex_lock(&P.sleep);
            atomic_store(&P.caller_sleeps, 1);
            while (atomic_load(&P.done) < chunks) pthread_cond_wait(&P.finished, &P.sleep);
            atomic_store(&P.caller_sleeps, 0);
            pthread_mutex_unlock(&P.sleep);
            return;
        }
    }
}

// Whether the machine counts as busy at `now` (see the top of this file).
static int busy_at(int64_t now) { return now < atomic_load_explicit(&g_busy_until, memory_order_relaxed); }

// Called by a waiting worker at `now`, its previous check having been at `last`.
static void note_gap(int64_t last, int64_t now) {
    if (now - last > LOOM_PREEMPTED_NS) atomic_store_explicit(&g_busy_until, now + LOOM_BUSY_NS, memory_order_relaxed);
}

int loom_pool_machine_busy(void) {
    return busy_at(now_ns());
}

void loom_pool_set_machine_busy(int busy) {
    atomic_store(&g_busy_until, busy ? now_ns() + LOOM_BUSY_NS : 0);
}

#if defined(__linux__)
// The CPUs the process may run on, read when the first worker starts (guarded by `use`).
static cpu_set_t g_allowed;
static int g_allowed_count;

// On a busy machine, keeps the calling worker off the caller's CPU; on a quiet one, lets it
// run anywhere again. `*excluded` is the CPU this worker keeps off (-1: none).
static void place_worker(int *excluded) {
    const int cpu = busy_at(now_ns()) ? atomic_load_explicit(&P.caller_cpu, memory_order_relaxed) : -1;
    if (cpu == *excluded || g_allowed_count < 2) return;
    cpu_set_t mask = g_allowed;
    if (cpu >= 0 && cpu < CPU_SETSIZE && CPU_ISSET(cpu, &mask)) CPU_CLR(cpu, &mask);
    if (sched_setaffinity(0, sizeof mask, &mask) == 0) *excluded = cpu;
}
#endif

static void *worker_main(void *arg) {
    uint32_t seen = (uint32_t)(uintptr_t)arg;
    tl_inside = 1;
    int64_t burst = 0; // twice the longest gap between jobs of the current burst
#if defined(__linux__)
    int excluded = -1;  // the CPU this worker keeps off (see place_worker)
#endif
    for (;;) {
        uint64_t s = atomic_load_explicit(&P.state, memory_order_acquire);
        if ((uint32_t)(s >> 32) == seen) {
            const int64_t idle_since = now_ns();
            // On a busy machine, the first check (64 pauses) is the only spin before sleeping.
            const int64_t deadline = busy_at(idle_since) ? idle_since : idle_since + (burst > spin_ns() ? burst : spin_ns());
            int64_t last = idle_since;
            for (unsigned i = 1;; i++) {
                s = atomic_load_explicit(&P.state, memory_order_acquire);
                if ((uint32_t)(s >> 32) != seen) {
                    // The next job came this soon after the last one: jobs are arriving in a
                    // burst (the products of a training step, with serial work between them),
                    // so wait up to twice the longest such gap for the next one before sleeping.
                    const int64_t gap = now_ns() - idle_since;
                    if (2 * gap > burst && 2 * gap <= LOOM_BURST_SPIN_NS) burst = 2 * gap;
                    break;
                }
                LOOM_CPU_RELAX();
                if ((i & 63) != 0) continue;
                int64_t now = now_ns();
                note_gap(last, now);
                // Past the plain spin, a burst's wait yields the core at every check, so that on
                // a busy machine another program's runnable thread gets it instead of the spin
                // (and a yield that took a time slice tells that the machine is busy).
                if (burst > spin_ns() && now > idle_since + spin_ns()) {
                    sched_yield();
                    const int64_t after = now_ns();
                    note_gap(now, after);
                    now = after;
                }
                last = now;
                if (now > deadline) {
                    // Sleep. sleepers++ and the re-check are sequentially consistent against
                    // the caller's publish-then-read-sleepers, so a wake-up cannot be missed.
                    pthread_mutex_lock(&P.sleep);
                    atomic_fetch_add(&P.sleepers, 1);
                    while ((uint32_t)((s = atomic_load(&P.state)) >> 32) == seen)
                        pthread_cond_wait(&P.wake, &P.sleep);
                    atomic_fetch_sub(&P.sleepers, 1);
                    pthread_mutex_unlock(&P.sleep);
                    // Woken within the burst's bound: still a burst, whose gaps were longer.
                    const int64_t gap = now_ns() - idle_since;
                    burst = 2 * gap <= LOOM_BURST_SPIN_NS ? 2 * gap : 0;
                    break;
                }
            }
        }
        seen = (uint32_t)(s >> 32);
#if defined(__linux__)
        place_worker(&excluded);
#endif
        run_chunks(seen, 0);
    }
    return NULL;
}

void loom_parallel_for(int64_t n, int64_t grain, void (*body)(void *, int64_t, int64_t),
                       void *context) {
    if (n <= 0) return;
    if (grain < 1) grain = 1;
    int nt = loom_num_threads();
    const int64_t most = (int64_t)nt * loom_chunks_per_thread();
    int64_t chunks = n / grain < most ? n / grain : most;
    if (n <= grain || chunks <= 1 || tl_inside || pthread_mutex_trylock(&P.use) != 0) {
        body(context, 0, n);
        return;
    }
    while (P.started < nt - 1) {
#if defined(__linux__)
        if (P.started == 0 && sched_getaffinity(0, sizeof g_allowed, &g_allowed) == 0) g_allowed_count = CPU_COUNT(&g_allowed);
#endif
        pthread_t th;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        int err = pthread_create(&th, &attr, worker_main, (void *)(uintptr_t)P.gen);
        pthread_attr_destroy(&attr);
        if (err != 0) break; // run with the workers we have (the caller alone at worst)
        P.started++;
    }
    tl_inside = 1;
    // Close the previous job before touching its fields: a worker that read its state word
    // (every chunk claimed) and then reads this job's larger chunk count must not be able to
    // claim a chunk of the old generation with the new fields. Closed, every CAS on the old
    // state fails. (With one chunk per thread the count never changed between jobs, which hid
    // this; a worker then ran a chunk of a job whose caller had returned.) The fields are
    // stored with release and read with acquire, so a worker that sees a new field also sees
    // the close, and its CAS fails.
    atomic_store(&P.state, (uint64_t)P.gen << 32 | LOOM_CLOSED);
    atomic_store_explicit(&P.body, body, memory_order_release);
    atomic_store_explicit(&P.ctx, context, memory_order_release);
    atomic_store_explicit(&P.n, n, memory_order_release);
    atomic_store_explicit(&P.chunks, chunks, memory_order_release);
    atomic_store_explicit(&P.done, 0, memory_order_release);
#if defined(__linux__)
    atomic_store_explicit(&P.caller_cpu, sched_getcpu(), memory_order_relaxed);
#endif
    uint32_t gen = ++P.gen;
    atomic_store(&P.state, (uint64_t)gen << 32); // seq_cst: publishes the fields above
    if (atomic_load(&P.sleepers) > 0) {
        pthread_mutex_lock(&P.sleep);
        pthread_cond_broadcast(&P.wake);
        pthread_mutex_unlock(&P.sleep);
    }
    wait_for_chunks(chunks, run_chunks(gen, 1));
    tl_inside = 0;
    pthread_mutex_unlock(&P.use);
}
