//===- AttnCudaRuntime.cpp - mgpu* entry points over the driver -*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// The functions MLIR 22's gpu-to-llvm lowering and the gpu.binary launch
// translation call (mgpuModuleLoad, mgpuLaunchKernel, mgpuMemAlloc, ...),
// with the signatures that lowering emits, implemented over the CUDA driver
// API on the primary context of the default device, which every entry point
// makes current for the duration of the call (callers such as ctypes code
// have no current context; the null stream needs one). Debian ships no
// libmlir_cuda_runtime, hence this library. A failing driver call prints
// the call, the CUDA error name and its description, and exits with status
// 1: compiled host code has no way to handle the error.
//
// attnCudaLaunch / attnCudaLaunchAttention (AttnCudaRuntime.h) are the entry
// for host frameworks: they report errors through a return code instead.
//
//===----------------------------------------------------------------------===//

#include "AttnCudaRuntime.h"

#include "attn-c/GPU.h"

#include <cuda.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <unordered_map>

#define ATTN_EXPORT extern "C" __attribute__((visibility("default")))

namespace {

std::string describe(const char *call, CUresult result) {
  const char *name = nullptr, *text = nullptr;
  cuGetErrorName(result, &name);
  cuGetErrorString(result, &text);
  return std::string(call) + " failed: " + (name ? name : "unknown error") +
         " (" + (text ? text : "no description") + ")";
}

/// Aborts the process after a failing driver call of compiled host code.
void check(CUresult result, const char *call) {
  if (result == CUDA_SUCCESS)
    return;
  std::fprintf(stderr, "attn cuda runtime: %s\n",
               describe(call, result).c_str());
  std::fflush(stderr);
  std::exit(EXIT_FAILURE);
}

#define ATTN_CHECK(expr) check((expr), #expr)

int defaultDevice = 0;

/// The primary context of the default device, retained once.
CUcontext primaryContext() {
  static CUcontext context = [] {
    ATTN_CHECK(cuInit(0));
    CUdevice device;
    ATTN_CHECK(cuDeviceGet(&device, defaultDevice));
    CUcontext ctx;
    ATTN_CHECK(cuDevicePrimaryCtxRetain(&ctx, device));
    return ctx;
  }();
  return context;
}

/// Makes the primary context current for the scope of a call.
struct ScopedContext {
  ScopedContext() { ATTN_CHECK(cuCtxPushCurrent(primaryContext())); }
  ~ScopedContext() {
    CUcontext ignored;
    ATTN_CHECK(cuCtxPopCurrent(&ignored));
  }
};

/// Raises the dynamic shared memory limit of `function` when a launch needs
/// more than the 48 KiB every function may use by default.
CUresult allowSharedMemory(CUfunction function, uint32_t bytes) {
  if (bytes <= 48 * 1024)
    return CUDA_SUCCESS;
  return cuFuncSetAttribute(
      function, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, bytes);
}

} // namespace

//===----------------------------------------------------------------------===//
// mgpu* entry points (signatures of MLIR 22's GPUToLLVM lowering)
//===----------------------------------------------------------------------===//

ATTN_EXPORT void mgpuSetDefaultDevice(int32_t device) {
  defaultDevice = device;
}

ATTN_EXPORT CUmodule mgpuModuleLoad(void *data, size_t /*gpuBlobSize*/) {
  ScopedContext scope;
  CUmodule module = nullptr;
  ATTN_CHECK(cuModuleLoadData(&module, data));
  return module;
}

ATTN_EXPORT CUmodule mgpuModuleLoadJIT(void *data, int optLevel) {
  ScopedContext scope;
  CUmodule module = nullptr;
  CUjit_option options[] = {CU_JIT_OPTIMIZATION_LEVEL};
  void *values[] = {reinterpret_cast<void *>(static_cast<intptr_t>(optLevel))};
  ATTN_CHECK(cuModuleLoadDataEx(&module, data, 1, options, values));
  return module;
}

ATTN_EXPORT void mgpuModuleUnload(CUmodule module) {
  ScopedContext scope;
  ATTN_CHECK(cuModuleUnload(module));
}

ATTN_EXPORT CUfunction mgpuModuleGetFunction(CUmodule module,
                                             const char *name) {
  ScopedContext scope;
  CUfunction function = nullptr;
  ATTN_CHECK(cuModuleGetFunction(&function, module, name));
  return function;
}

ATTN_EXPORT void mgpuLaunchKernel(CUfunction function, intptr_t gridX,
                                  intptr_t gridY, intptr_t gridZ,
                                  intptr_t blockX, intptr_t blockY,
                                  intptr_t blockZ, int32_t smem,
                                  CUstream stream, void **params, void **extra,
                                  size_t /*paramsCount*/) {
  ScopedContext scope;
  ATTN_CHECK(allowSharedMemory(function, static_cast<uint32_t>(smem)));
  ATTN_CHECK(cuLaunchKernel(function, gridX, gridY, gridZ, blockX, blockY,
                            blockZ, smem, stream, params, extra));
}

ATTN_EXPORT CUstream mgpuStreamCreate() {
  ScopedContext scope;
  CUstream stream = nullptr;
  ATTN_CHECK(cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING));
  return stream;
}

ATTN_EXPORT void mgpuStreamDestroy(CUstream stream) {
  ScopedContext scope;
  ATTN_CHECK(cuStreamDestroy(stream));
}

ATTN_EXPORT void mgpuStreamSynchronize(CUstream stream) {
  ScopedContext scope;
  ATTN_CHECK(cuStreamSynchronize(stream));
}

ATTN_EXPORT void mgpuStreamWaitEvent(CUstream stream, CUevent event) {
  ScopedContext scope;
  ATTN_CHECK(cuStreamWaitEvent(stream, event, /*flags=*/0));
}

ATTN_EXPORT CUevent mgpuEventCreate() {
  ScopedContext scope;
  CUevent event = nullptr;
  ATTN_CHECK(cuEventCreate(&event, CU_EVENT_DISABLE_TIMING));
  return event;
}

ATTN_EXPORT void mgpuEventDestroy(CUevent event) {
  ScopedContext scope;
  ATTN_CHECK(cuEventDestroy(event));
}

ATTN_EXPORT void mgpuEventSynchronize(CUevent event) {
  ScopedContext scope;
  ATTN_CHECK(cuEventSynchronize(event));
}

ATTN_EXPORT void mgpuEventRecord(CUevent event, CUstream stream) {
  ScopedContext scope;
  ATTN_CHECK(cuEventRecord(event, stream));
}

ATTN_EXPORT void *mgpuMemAlloc(uint64_t sizeBytes, CUstream /*stream*/,
                               bool isHostShared) {
  ScopedContext scope;
  if (sizeBytes == 0)
    return nullptr;
  CUdeviceptr ptr = 0;
  if (isHostShared)
    ATTN_CHECK(cuMemAllocManaged(&ptr, sizeBytes, CU_MEM_ATTACH_GLOBAL));
  else
    ATTN_CHECK(cuMemAlloc(&ptr, sizeBytes));
  return reinterpret_cast<void *>(ptr);
}

ATTN_EXPORT void mgpuMemFree(void *ptr, CUstream /*stream*/) {
  ScopedContext scope;
  if (ptr)
    ATTN_CHECK(cuMemFree(reinterpret_cast<CUdeviceptr>(ptr)));
}

ATTN_EXPORT void mgpuMemcpy(void *dst, void *src, size_t sizeBytes,
                            CUstream stream) {
  ScopedContext scope;
  ATTN_CHECK(cuMemcpyAsync(reinterpret_cast<CUdeviceptr>(dst),
                           reinterpret_cast<CUdeviceptr>(src), sizeBytes,
                           stream));
}

ATTN_EXPORT void mgpuMemset32(void *dst, unsigned int value, size_t count,
                              CUstream stream) {
  ScopedContext scope;
  ATTN_CHECK(cuMemsetD32Async(reinterpret_cast<CUdeviceptr>(dst), value, count,
                              stream));
}

ATTN_EXPORT void mgpuMemset16(void *dst, unsigned short value, size_t count,
                              CUstream stream) {
  ScopedContext scope;
  ATTN_CHECK(cuMemsetD16Async(reinterpret_cast<CUdeviceptr>(dst), value, count,
                              stream));
}

namespace {
/// The ranked memref descriptor behind an unranked one: allocated and
/// aligned pointers, offset, then sizes and strides.
struct DescriptorHeader {
  char *allocated;
  char *aligned;
  int64_t offset;
  int64_t sizes[1];
};

void hostRange(int64_t rank, void *descriptor, int64_t elementSizeBytes,
               char **begin, size_t *bytes) {
  auto *header = static_cast<DescriptorHeader *>(descriptor);
  int64_t count = 1;
  for (int64_t i = 0; i < rank; ++i)
    count *= header->sizes[i];
  *begin = header->aligned + header->offset * elementSizeBytes;
  *bytes = static_cast<size_t>(count * elementSizeBytes);
}
} // namespace

ATTN_EXPORT void mgpuMemHostRegisterMemRef(int64_t rank, void *descriptor,
                                           int64_t elementSizeBytes) {
  ScopedContext scope;
  char *begin;
  size_t bytes;
  hostRange(rank, descriptor, elementSizeBytes, &begin, &bytes);
  if (bytes)
    ATTN_CHECK(cuMemHostRegister(begin, bytes, /*flags=*/0));
}

ATTN_EXPORT void mgpuMemHostUnregisterMemRef(int64_t rank, void *descriptor,
                                             int64_t elementSizeBytes) {
  ScopedContext scope;
  char *begin;
  size_t bytes;
  hostRange(rank, descriptor, elementSizeBytes, &begin, &bytes);
  if (bytes)
    ATTN_CHECK(cuMemHostUnregister(begin));
}

//===----------------------------------------------------------------------===//
// Launch entry for host frameworks
//===----------------------------------------------------------------------===//

namespace {
thread_local std::string lastError;
std::mutex cacheMutex;
/// Modules by (context, image address): an image is loaded once per context.
std::unordered_map<std::string, CUmodule> moduleCache;

int fail(const char *call, CUresult result) {
  lastError = describe(call, result);
  return static_cast<int>(result);
}
} // namespace

#define ATTN_TRY(expr)                                                         \
  do {                                                                         \
    CUresult attnResult = (expr);                                              \
    if (attnResult != CUDA_SUCCESS)                                            \
      return fail(#expr, attnResult);                                          \
  } while (false)

ATTN_EXPORT const char *attnCudaLastError(void) { return lastError.c_str(); }

ATTN_EXPORT int attnCudaLaunch(const void *image, const char *kernel,
                               uint32_t gridX, uint32_t gridY, uint32_t gridZ,
                               uint32_t blockX, uint32_t blockY,
                               uint32_t blockZ, uint32_t sharedBytes,
                               void *stream, void **args, int /*numArgs*/) {
  lastError.clear();
  ATTN_TRY(cuInit(0));
  // Use the framework's current context (PyTorch makes the primary context
  // of its device current), else the primary context of the default device.
  CUcontext context = nullptr;
  ATTN_TRY(cuCtxGetCurrent(&context));
  /// Pops the context pushed below on every return path.
  struct PopGuard {
    bool active = false;
    ~PopGuard() {
      CUcontext ignored;
      if (active)
        cuCtxPopCurrent(&ignored);
    }
  } popGuard;
  if (!context) {
    CUdevice device;
    ATTN_TRY(cuDeviceGet(&device, defaultDevice));
    ATTN_TRY(cuDevicePrimaryCtxRetain(&context, device));
    ATTN_TRY(cuCtxPushCurrent(context));
    popGuard.active = true;
  }
  CUmodule module;
  {
    std::lock_guard<std::mutex> lock(cacheMutex);
    std::string key = std::to_string(reinterpret_cast<uintptr_t>(context)) +
                      ":" + std::to_string(reinterpret_cast<uintptr_t>(image));
    auto it = moduleCache.find(key);
    if (it == moduleCache.end()) {
      ATTN_TRY(cuModuleLoadData(&module, image));
      moduleCache.emplace(key, module);
    } else {
      module = it->second;
    }
  }
  CUfunction function;
  ATTN_TRY(cuModuleGetFunction(&function, module, kernel));
  ATTN_TRY(allowSharedMemory(function, sharedBytes));
  ATTN_TRY(cuLaunchKernel(function, gridX, gridY, gridZ, blockX, blockY, blockZ,
                          sharedBytes, static_cast<CUstream>(stream), args,
                          nullptr));
  return 0;
}

ATTN_EXPORT int attnCudaLaunchAttention(const void *image, const char *kernel,
                                        int64_t batch, int64_t qHeads,
                                        int64_t qLen, int64_t headDim,
                                        int64_t eltBytes, void *q, void *k,
                                        void *v, void *o, void *lse,
                                        void *stream) {
  void *args[] = {&q, &k, &v, &o, &lse};
  int numArgs = lse ? 5 : 4;
  // The pass's own launch configuration (mma.sync tensor-core kernel; its
  // shared memory also covers the wgmma kernel's).
  MlirAttnGPULaunchConfig c =
      mlirAttnGPUGetLaunchConfig(MlirAttnGPUKernelTensorCoreSync, batch,
                                 qHeads, qLen, headDim, headDim, eltBytes);
  auto u32 = [](int64_t x) { return static_cast<uint32_t>(x); };
  return attnCudaLaunch(image, kernel, u32(c.grid[0]), u32(c.grid[1]),
                        u32(c.grid[2]), u32(c.block[0]), u32(c.block[1]),
                        u32(c.block[2]), u32(c.sharedMemoryBytes), stream,
                        args, numArgs);
}
