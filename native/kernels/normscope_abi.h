/*
 * What NormScope's three C ABIs share: the export macro and the error convention. Each ABI has one
 * header that includes this one:
 *   normscope_kernels.h  BatchNorm kernels on host arrays (CPU, WebAssembly, CUDA with staging copies)
 *   normscope_device.h   ops on device buffers (ns_cuda_alloc…, every ns_cudadev_*), CUDA builds only
 *   normscope_gemm.h     the dense matrix product over OpenBLAS
 *
 * Every function returns 0 on success or a negative NS_E* code; ns_last_error() (thread-local) names it.
 */
#ifndef NORMSCOPE_ABI_H
#define NORMSCOPE_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
#define NS_EXTERN extern "C"
#else
#define NS_EXTERN
#endif
#if defined(_WIN32)
#define NS_API NS_EXTERN __declspec(dllexport)
#else
#define NS_API NS_EXTERN __attribute__((visibility("default")))
#endif

#define NS_OK 0
#define NS_EINVAL (-1)   /* bad dimensions or arguments */
#define NS_ENOMEM (-2)   /* allocation failed */
#define NS_ECUDA (-3)    /* CUDA runtime error (ns_last_error has cudaGetErrorString's text) */
#define NS_ENOCUDA (-4)  /* built without CUDA */

/* Thread-local text of the last error ("" when none). */
NS_API const char *ns_last_error(void);

#endif /* NORMSCOPE_ABI_H */
