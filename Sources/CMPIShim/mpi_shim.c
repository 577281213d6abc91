#include "mpi_shim.h"
#include <mpi.h>
#include <stdlib.h>
#include <string.h>

struct cas_mpi_request {
    MPI_Request request;
    int completed;
    int is_recv;
};

int cas_mpi_init(int *rank, int *size, int *provided) {
    int rc = MPI_Init_thread(NULL, NULL, MPI_THREAD_SERIALIZED, provided);
    if (rc != MPI_SUCCESS) return rc;
    rc = MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    if (rc != MPI_SUCCESS) return rc;
    rc = MPI_Comm_rank(MPI_COMM_WORLD, rank);
    if (rc != MPI_SUCCESS) return rc;
    return MPI_Comm_size(MPI_COMM_WORLD, size);
}

int cas_mpi_initialized(void) {
    int flag = 0;
    MPI_Initialized(&flag);
    return flag;
}

int cas_mpi_processor_name(char *buf, int len) {
    char name[MPI_MAX_PROCESSOR_NAME];
    int n = 0;
    int rc = MPI_Get_processor_name(name, &n);
    if (rc != MPI_SUCCESS || len <= 0) return rc;
    if (n > len - 1) n = len - 1;
    memcpy(buf, name, (size_t)n);
    buf[n] = 0;
    return rc;
}

void cas_mpi_error_string(int code, char *buf, int len) {
    char text[MPI_MAX_ERROR_STRING];
    int n = 0;
    if (len <= 0) return;
    if (MPI_Error_string(code, text, &n) != MPI_SUCCESS) n = 0;
    if (n > len - 1) n = len - 1;
    memcpy(buf, text, (size_t)n);
    buf[n] = 0;
}

static cas_mpi_request *new_request(int is_recv) {
    cas_mpi_request *r = calloc(1, sizeof *r);
    if (r) r->is_recv = is_recv;
    return r;
}

cas_mpi_request *cas_mpi_isend(const void *buf, int count, int peer, int tag, int *rc) {
    cas_mpi_request *r = new_request(0);
    if (!r) { *rc = MPI_ERR_NO_MEM; return NULL; }
    *rc = MPI_Isend(buf, count, MPI_BYTE, peer, tag, MPI_COMM_WORLD, &r->request);
    if (*rc != MPI_SUCCESS) { free(r); return NULL; }
    return r;
}

cas_mpi_request *cas_mpi_irecv(void *buf, int count, int peer, int tag, int *rc) {
    cas_mpi_request *r = new_request(1);
    if (!r) { *rc = MPI_ERR_NO_MEM; return NULL; }
    *rc = MPI_Irecv(buf, count, MPI_BYTE, peer, tag, MPI_COMM_WORLD, &r->request);
    if (*rc != MPI_SUCCESS) { free(r); return NULL; }
    return r;
}

cas_mpi_request *cas_mpi_iallreduce_sum_float(float *buf, int count, int *rc) {
    cas_mpi_request *r = new_request(0);
    if (!r) { *rc = MPI_ERR_NO_MEM; return NULL; }
    *rc = MPI_Iallreduce(MPI_IN_PLACE, buf, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD, &r->request);
    if (*rc != MPI_SUCCESS) { free(r); return NULL; }
    return r;
}

int cas_mpi_test(cas_mpi_request *req, int *done, int *received) {
    MPI_Status status;
    *done = 0;
    if (req->completed) { *done = 1; return MPI_SUCCESS; }
    int rc = MPI_Test(&req->request, done, &status);
    if (rc == MPI_SUCCESS && *done) {
        req->completed = 1;
        if (req->is_recv && received) MPI_Get_count(&status, MPI_BYTE, received);
    }
    return rc;
}

void cas_mpi_request_abandon(cas_mpi_request *req) {
    if (!req) return;
    if (!req->completed && req->request != MPI_REQUEST_NULL) {
        MPI_Cancel(&req->request);
        MPI_Request_free(&req->request);
    }
    free(req);
}

void cas_mpi_request_free(cas_mpi_request *req) { free(req); }
