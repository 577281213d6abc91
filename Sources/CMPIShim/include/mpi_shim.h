// The few Open MPI calls caslite's scale-out uses (docs/scale-out.md), as plain C functions: Open MPI's handles
// (MPI_COMM_WORLD, MPI_BYTE, MPI_FLOAT, MPI_SUM…) are macros over global symbols, which Swift cannot import.
// Every call works on MPI_COMM_WORLD with MPI_ERRORS_RETURN: a failure is a return code, never an abort.
// Requests are heap cells owned by the caller (cas_mpi_request_free).
#ifndef CAS_MPI_SHIM_H
#define CAS_MPI_SHIM_H
#include <stddef.h>
#include <stdint.h>

/// MPI_Init_thread(MPI_THREAD_SERIALIZED) and MPI_ERRORS_RETURN on the world communicator. 0 on success.
int cas_mpi_init(int *rank, int *size, int *provided);
/// MPI_Initialized.
int cas_mpi_initialized(void);
/// The processor name (host) of this rank into buf (at most len-1 bytes, NUL-terminated).
int cas_mpi_processor_name(char *buf, int len);
/// The text of an MPI error code into buf.
void cas_mpi_error_string(int code, char *buf, int len);

typedef struct cas_mpi_request cas_mpi_request;
/// Non-blocking send / receive of `count` bytes (count ≤ INT_MAX) to / from `peer` with `tag`. NULL when MPI refused
/// (then *rc holds the code).
cas_mpi_request *cas_mpi_isend(const void *buf, int count, int peer, int tag, int *rc);
cas_mpi_request *cas_mpi_irecv(void *buf, int count, int peer, int tag, int *rc);
/// Non-blocking sum all-reduce of `count` floats in place over every rank.
cas_mpi_request *cas_mpi_iallreduce_sum_float(float *buf, int count, int *rc);
/// MPI_Test: 0 on success with *done set; *received = bytes received for a completed receive.
int cas_mpi_test(cas_mpi_request *req, int *done, int *received);
/// Cancels a pending request (MPI_Cancel) and frees it; for a completed one just frees it.
void cas_mpi_request_abandon(cas_mpi_request *req);
/// Frees a completed request's cell.
void cas_mpi_request_free(cas_mpi_request *req);
#endif
