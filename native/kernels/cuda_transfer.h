// Process-wide host↔device transfer counters behind ns_cuda_transfer_stats (normscope_device.h).
// Defined in cuda_device.cu; cuda_kernels.cu's host-pointer BatchNorm API counts its staging copies
// here too, so the statistics cover every byte either file moves across the bus. Internal (not part
// of the C ABI).
#ifndef NORMSCOPE_CUDA_TRANSFER_H
#define NORMSCOPE_CUDA_TRANSFER_H

#include <cstddef>

namespace ns {
// One successful host→device copy of `bytes` (zero-byte copies are not counted).
void count_upload(size_t bytes);
// One successful device→host copy of `bytes`.
void count_download(size_t bytes);
}  // namespace ns

#endif
