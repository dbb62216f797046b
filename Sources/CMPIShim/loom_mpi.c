#define _GNU_SOURCE
#include "loom_mpi.h"

#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

// Open MPI's handles are pointers to its predefined objects.
typedef void *handle;

static struct {
    int (*init)(int *, char ***);
    int (*initialized)(int *);
    int (*finalized)(int *);
    int (*finalize)(void);
    int (*comm_rank)(handle, int *);
    int (*comm_size)(handle, int *);
    int (*allreduce)(const void *, void *, int, handle, handle, handle);
    int (*bcast)(void *, int, handle, int, handle);
    int (*barrier)(handle);
    int (*abort)(handle, int);
    int (*comm_set_errhandler)(handle, handle);
    int (*error_string)(int, char *, int *);
    int (*get_library_version)(char *, int *);
    handle comm_world, float32, float64, byte, op_sum, errors_return;
} mpi;
static int loaded = 0;

// Open MPI's MPI_IN_PLACE.
#define LOOM_MPI_IN_PLACE ((void *)1)

int loom_mpi_load(const char *library, char *error, size_t error_size) {
    if (loaded) return 0;
    // A library named by the caller or $LOOM_MPI_LIBRARY is the only one tried.
    const char *chosen = library && *library ? library : getenv("LOOM_MPI_LIBRARY");
    const char *defaults[2] = {"libmpi.so.40", "libmpi.so"};
    void *lib = NULL;
    const char *tried = chosen && *chosen ? chosen : defaults[0];
    for (int i = 0; i < 2 && !lib; i++) {
        const char *name = chosen && *chosen ? chosen : defaults[i];
        // RTLD_GLOBAL: Open MPI's plugins resolve libmpi's symbols from the global scope.
        lib = dlopen(name, RTLD_NOW | RTLD_GLOBAL);
        if (chosen && *chosen) break;
    }
    if (!lib) {
        snprintf(error, error_size, "cannot load %s: %s", tried, dlerror());
        return -1;
    }
#define RESOLVE(field, name)                                                             \
    do {                                                                                 \
        *(void **)(&mpi.field) = dlsym(lib, name);                                       \
        if (!mpi.field) {                                                                \
            snprintf(error, error_size, "the MPI library has no symbol %s (Loom needs Open MPI 4 or later)", name); \
            return -1;                                                                   \
        }                                                                                \
    } while (0)
    RESOLVE(init, "MPI_Init");
    RESOLVE(initialized, "MPI_Initialized");
    RESOLVE(finalized, "MPI_Finalized");
    RESOLVE(finalize, "MPI_Finalize");
    RESOLVE(comm_rank, "MPI_Comm_rank");
    RESOLVE(comm_size, "MPI_Comm_size");
    RESOLVE(allreduce, "MPI_Allreduce");
    RESOLVE(bcast, "MPI_Bcast");
    RESOLVE(barrier, "MPI_Barrier");
    RESOLVE(abort, "MPI_Abort");
    RESOLVE(comm_set_errhandler, "MPI_Comm_set_errhandler");
    RESOLVE(error_string, "MPI_Error_string");
    RESOLVE(get_library_version, "MPI_Get_library_version");
    RESOLVE(comm_world, "ompi_mpi_comm_world");
    RESOLVE(float32, "ompi_mpi_float");
    RESOLVE(float64, "ompi_mpi_double");
    RESOLVE(byte, "ompi_mpi_byte");
    RESOLVE(op_sum, "ompi_mpi_op_sum");
    RESOLVE(errors_return, "ompi_mpi_errors_return");
#undef RESOLVE
    loaded = 1;
    return 0;
}

// ---- watchdog -------------------------------------------------------------------------

static _Atomic double watchdog_seconds = 0;
static _Atomic double operation_start = 0;          // 0: no operation running
static const char *_Atomic operation_name = NULL;
static _Atomic int watchdog_rank = -1;
static pthread_once_t watchdog_once = PTHREAD_ONCE_INIT;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void *watchdog_main(void *unused) {
    (void)unused;
    for (;;) {
        usleep(200000);
        double limit = atomic_load(&watchdog_seconds), start = atomic_load(&operation_start);
        if (limit <= 0 || start == 0 || now() - start <= limit) continue;
        char message[512];
        int length = snprintf(message, sizeof message,
            "loom: error: rank %d: %s has not completed after %.0f s; another rank has probably "
            "died or hangs. Stopping (the run directory keeps its last checkpoint; continue with --resume).\n",
            atomic_load(&watchdog_rank), atomic_load(&operation_name), limit);
        if (length > 0) {
            ssize_t written = write(2, message, (size_t)length);
            (void)written;
        }
        _exit(75);
    }
    return NULL;
}

static void start_watchdog_thread(void) {
    pthread_t thread;
    if (pthread_create(&thread, NULL, watchdog_main, NULL) == 0) pthread_detach(thread);
}

void loom_mpi_set_watchdog(double seconds) {
    atomic_store(&watchdog_seconds, seconds);
    if (seconds > 0) pthread_once(&watchdog_once, start_watchdog_thread);
}

static void begin(const char *name) {
    atomic_store(&operation_name, name);
    atomic_store(&operation_start, now());
}

static int end(int code) {
    atomic_store(&operation_start, 0.0);
    return code;
}

// ---- operations -----------------------------------------------------------------------

int loom_mpi_initialize(void) {
    int flag = 0;
    mpi.initialized(&flag);
    if (!flag) {
        int code = mpi.init(NULL, NULL);
        if (code != 0) return code;
    }
    int rank = -1;
    mpi.comm_rank(mpi.comm_world, &rank);
    atomic_store(&watchdog_rank, rank);
    return mpi.comm_set_errhandler(mpi.comm_world, mpi.errors_return);
}

int loom_mpi_finalize(void) {
    int initialized = 0, finalized = 0;
    mpi.initialized(&initialized);
    mpi.finalized(&finalized);
    if (!initialized || finalized) return 0;
    begin("MPI_Finalize");
    return end(mpi.finalize());
}

int loom_mpi_rank(int *rank) { return mpi.comm_rank(mpi.comm_world, rank); }
int loom_mpi_world_size(int *size) { return mpi.comm_size(mpi.comm_world, size); }

static handle datatype(loom_mpi_type type, size_t *size) {
    switch (type) {
    case LOOM_MPI_FLOAT32: *size = 4; return mpi.float32;
    case LOOM_MPI_FLOAT64: *size = 8; return mpi.float64;
    default: *size = 1; return mpi.byte;
    }
}

// MPI counts are int; larger buffers go in chunks.
#define CHUNK (1L << 28)

int loom_mpi_allreduce_sum(void *buffer, long count, loom_mpi_type type) {
    size_t size;
    handle dtype = datatype(type, &size);
    begin("MPI_Allreduce");
    for (long done = 0; done < count; done += CHUNK) {
        long n = count - done < CHUNK ? count - done : CHUNK;
        int code = mpi.allreduce(LOOM_MPI_IN_PLACE, (char *)buffer + done * size, (int)n, dtype, mpi.op_sum, mpi.comm_world);
        if (code != 0) return end(code);
    }
    return end(0);
}

int loom_mpi_broadcast(void *buffer, long count, loom_mpi_type type, int root) {
    size_t size;
    handle dtype = datatype(type, &size);
    begin("MPI_Bcast");
    for (long done = 0; done < count; done += CHUNK) {
        long n = count - done < CHUNK ? count - done : CHUNK;
        int code = mpi.bcast((char *)buffer + done * size, (int)n, dtype, root, mpi.comm_world);
        if (code != 0) return end(code);
    }
    return end(0);
}

int loom_mpi_barrier(void) {
    begin("MPI_Barrier");
    return end(mpi.barrier(mpi.comm_world));
}

void loom_mpi_abort(int code) { mpi.abort(mpi.comm_world, code); }

void loom_mpi_error_string(int code, char *message, size_t size) {
    char text[512] = {0};  // Open MPI's MPI_MAX_ERROR_STRING is 256
    int length = 0;
    if (mpi.error_string && mpi.error_string(code, text, &length) == 0) snprintf(message, size, "%s", text);
    else snprintf(message, size, "MPI error %d", code);
}

void loom_mpi_library_version(char *message, size_t size) {
    char text[512] = {0};  // Open MPI's MPI_MAX_LIBRARY_VERSION_STRING is 256
    int length = 0;
    if (mpi.get_library_version && mpi.get_library_version(text, &length) == 0) snprintf(message, size, "%s", text);
    else snprintf(message, size, "unknown");
}

// ---- termination ----------------------------------------------------------------------

static char termination_message[256];
static size_t termination_length = 0;

static void on_terminate(int signal_number) {
    (void)signal_number;
    ssize_t written = write(2, termination_message, termination_length);
    (void)written;
    _exit(143);
}

void loom_mpi_report_termination(void) {
    int length = snprintf(termination_message, sizeof termination_message,
        "loom: error: rank %d: stopped by SIGTERM (mpirun ends the job when a rank fails); the run directory "
        "keeps its last checkpoint, continue with --resume on any number of ranks.\n", atomic_load(&watchdog_rank));
    termination_length = length > 0 ? (size_t)length : 0;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_terminate;
    sigemptyset(&action.sa_mask);
    sigaction(SIGTERM, &action, NULL);
}
