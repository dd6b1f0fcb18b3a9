/* The kernel library's C entry points besides RegisterCustomOps: what it was built with (read by the C# loader before
 * it picks the fused graph) and each operation called directly on raw pointers (by the kernel harness,
 * harness/check_kernels.py, which drives them with PyTorch tensors). The operations' arguments are those of
 * src/common/kernel_args.h; `device` is 0 for the CPU implementation, 1 for CUDA (pointers in device memory, the work
 * enqueued on `stream`, a cudaStream_t, or the default stream when null). Each returns 0, or -1 with the reason in
 * sana_kernels_last_error(). */
#ifndef SANA_KERNELS_H
#define SANA_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#define SANA_KERNELS_EXPORT __declspec(dllexport)
#else
#define SANA_KERNELS_EXPORT __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* The version of the op set in the sana.kernels domain that this library implements. */
SANA_KERNELS_EXPORT int sana_kernels_ops_version(void);
/* 1 when the CUDA implementations are built in (and registered for ONNX Runtime's CUDA provider), else 0. */
SANA_KERNELS_EXPORT int sana_kernels_has_cuda(void);
/* The calling thread's last failure, or "" after a success. */
SANA_KERNELS_EXPORT const char* sana_kernels_last_error(void);

SANA_KERNELS_EXPORT int sana_residual_norm(int device, int dtype, int64_t batch, int64_t tokens, int64_t dim,
                                           const void* x, const void* y, const void* bias, const void* gate_mod,
                                           int64_t gate_rows, int64_t gate_row, int clip_y, const void* norm_mod,
                                           int64_t norm_rows, int64_t shift_row, int64_t scale_row, float epsilon,
                                           void* x_out, void* norm_out, void* stream);

SANA_KERNELS_EXPORT int sana_linear_attention_state(int device, int dtype, int64_t batch, int64_t tokens,
                                                    int64_t heads, int64_t head_dim, const void* qkv,
                                                    const void* bias, float* state, void* stream);

SANA_KERNELS_EXPORT int sana_linear_attention_apply(int device, int dtype, int64_t batch, int64_t tokens,
                                                    int64_t heads, int64_t head_dim, const void* qkv,
                                                    const void* bias, const float* state,
                                                    const float* pag_layer_mask, int64_t layers, int64_t layer,
                                                    const float* pag_sample_mask, float epsilon, void* out,
                                                    void* stream);

SANA_KERNELS_EXPORT int sana_depthwise_glu(int device, int dtype, int64_t batch, int64_t height, int64_t width,
                                           int64_t channels, const void* h, const void* bias_in, const void* weight,
                                           const void* bias_dw, void* out, void* stream);

/* Copies bytes between host and device memory (to_device 1: host to device), synchronously: the C# runtime's way to
 * refill the input buffers a captured CUDA graph reads, and to read its output. */
SANA_KERNELS_EXPORT int sana_cuda_copy(void* dst, const void* src, size_t bytes, int to_device);

#ifdef __cplusplus
}
#endif

#endif
