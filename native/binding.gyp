# The NormScope addon: Node-API (node-addon-api, header-only), so one binary loads in Node and Electron.
# Built by tools/build-native.mjs, which compiles the CUDA kernels with nvcc first when nvcc exists
# and passes -Dns_cuda=1 -Dns_cuda_archive=... -Dns_cuda_libdir=...; without them the addon is CPU-only.
# Compiled for a portable x86-64 baseline (SSE4.2); the kernels pick their AVX2 copy at run time.
# -Dns_openblas=1 (passed by tools/build-native.mjs when it finds OpenBLAS) adds cpu.gemm over OpenBLAS,
# opened with dlopen at run time (native/kernels/cpu_gemm.cc), so the addon loads without it.
# -fno-math-errno: nothing reads errno, and without it every sqrt keeps a scalar errno branch (the
# per-channel finalisation loops could not vectorise).
{
  "variables": {
    "ns_cuda%": 0,
    "ns_cuda_archive%": "",
    "ns_cuda_libdir%": "",
    "ns_openblas%": 0
  },
  "targets": [
    {
      "target_name": "normscope",
      "sources": [
        "addon/addon.cc",
        "addon/file_read.cc",
        "addon/huge_pages.cc",
        "addon/elementwise_binding.cc",
        "kernels/cpu_kernels.cc",
        "kernels/cpu_elementwise.cc",
        "kernels/thread_pool.cc",
        "kernels/ns_error.cc",
        "kernels/gather_stats.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-std=gnu++20"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-O3", "-fno-math-errno", "-Wno-psabi", "-fvisibility=hidden"],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17"
      },
      "conditions": [
        ["target_arch=='x64'", { "cflags_cc": ["-msse4.2", "-mpopcnt"] }],
        ["OS=='linux'", { "ldflags": ["-pthread"] }],
        ["ns_openblas==1", {
          "defines": ["NS_WITH_OPENBLAS=1"],
          "sources": ["addon/gemm_binding.cc", "kernels/cpu_gemm.cc"],
          "libraries": ["-ldl"]
        }],
        ["ns_cuda==1", {
          "defines": ["NS_WITH_CUDA=1"],
          "sources": ["addon/cuda_device.cc", "addon/cuda_device_ops.cc"],
          "libraries": ["<(ns_cuda_archive)", "-L<(ns_cuda_libdir)", "-lcudart_static", "-ldl", "-lrt", "-lpthread"]
        }]
      ]
    }
  ]
}
