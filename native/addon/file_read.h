// Parallel positioned file reads for engine/io (see file_read.cc).
#pragma once
#include <napi.h>

Napi::Value ReadFileRange(const Napi::CallbackInfo &info);
/** False where ReadFileRange is not implemented (it then only throws); the binding omits it. */
bool HaveReadFileRange();
