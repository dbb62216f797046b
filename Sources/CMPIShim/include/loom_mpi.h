// A run-time binding to Open MPI (libmpi.so.40), so Loom builds and runs without MPI and
// gains data-parallel training wherever Open MPI is installed. MPI's handles
// (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM, ...) are C macros that Swift cannot import; Open MPI
// defines them as the addresses of global objects (`&ompi_mpi_comm_world`), which dlsym
// returns. That is Open MPI's ABI, not the MPI standard's: MPICH and Intel MPI use integer
// handles and are not supported by this shim.
#ifndef LOOM_MPI_H
#define LOOM_MPI_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Element types of the collectives.
typedef enum { LOOM_MPI_FLOAT32 = 0, LOOM_MPI_FLOAT64 = 1, LOOM_MPI_BYTE = 2 } loom_mpi_type;

/// Loads libmpi (`library`, or when NULL: $LOOM_MPI_LIBRARY, libmpi.so.40, libmpi.so) and
/// resolves its symbols. Returns 0, or -1 with a message in `error` (`error_size` bytes).
int loom_mpi_load(const char *library, char *error, size_t error_size);

/// MPI_Init (when not yet initialized), then MPI_ERRORS_RETURN on MPI_COMM_WORLD so that
/// failures come back as codes instead of aborting. Returns an MPI error code (0: success).
int loom_mpi_initialize(void);
/// MPI_Finalize when initialized and not yet finalized.
int loom_mpi_finalize(void);
int loom_mpi_rank(int *rank);
int loom_mpi_world_size(int *size);
/// In-place MPI_Allreduce with MPI_SUM over MPI_COMM_WORLD.
int loom_mpi_allreduce_sum(void *buffer, long count, loom_mpi_type type);
/// MPI_Bcast over MPI_COMM_WORLD (chunked, so counts beyond INT_MAX work).
int loom_mpi_broadcast(void *buffer, long count, loom_mpi_type type, int root);
int loom_mpi_barrier(void);
/// MPI_Abort over MPI_COMM_WORLD.
void loom_mpi_abort(int code);
/// MPI_Error_string into `message`.
void loom_mpi_error_string(int code, char *message, size_t size);
/// MPI_Get_library_version into `message`.
void loom_mpi_library_version(char *message, size_t size);

/// Starts a thread that ends the process (exit code 75, after a message on stderr naming the
/// rank and the operation) when one MPI operation has been running longer than `seconds`:
/// a peer that died or hangs must not leave the others waiting forever. 0 or negative: off.
void loom_mpi_set_watchdog(double seconds);

/// On SIGTERM (how mpirun stops the surviving ranks when one dies or the job is aborted),
/// writes a message naming this rank to stderr and exits with code 143.
void loom_mpi_report_termination(void);

#ifdef __cplusplus
}
#endif
#endif
