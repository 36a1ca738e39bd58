// Transparent huge page advice for fresh host buffers (see huge_pages.cc).
#pragma once
#include <napi.h>

Napi::Value AdviseHugePages(const Napi::CallbackInfo &info);
