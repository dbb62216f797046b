/* The cost of the gradient allreduce alone, without the wait for a slower rank that the
 * training figure includes: MPI_Allreduce(MPI_SUM) of `count` floats, after a barrier,
 * averaged over `iterations`. Built and run by Scripts/mpi-bench.sh (mpicc from libopenmpi-dev). */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    long count = argc > 1 ? atol(argv[1]) : 669709;
    int iterations = argc > 2 ? atoi(argv[2]) : 200;
    float *buffer = malloc(sizeof(float) * (size_t)count);
    for (long i = 0; i < count; i++) buffer[i] = 1e-6f * (float)i;
    double total = 0;
    for (int i = 0; i < iterations + 5; i++) {
        MPI_Barrier(MPI_COMM_WORLD);
        double start = MPI_Wtime();
        MPI_Allreduce(MPI_IN_PLACE, buffer, (int)count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
        if (i >= 5) total += MPI_Wtime() - start;  /* 5 warm-up rounds */
    }
    double mean = total / iterations, slowest;
    MPI_Reduce(&mean, &slowest, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
    if (rank == 0)
        printf("allreduce alone: %d ranks, %ld floats (%.1f MB), %.3f ms per call, %.2f GB/s algorithm bandwidth\n",
               size, count, count * 4e-6, slowest * 1e3, count * 4e-9 / slowest);
    free(buffer);
    MPI_Finalize();
    return 0;
}
