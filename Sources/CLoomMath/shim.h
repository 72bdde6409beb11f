// OpenBLAS for GEMM (cblas_sgemm, openblas_set_num_threads) and single-precision FFTW for spectrograms.
#include <cblas.h>
#include <fftw3.h>
