// normscope_gloo: libgloo collectives for NormScope's `gloo` process groups.
//
// One GlooContext per process group (world or a new_group subgroup): TCP transport, rendezvous through
// a file store (one machine or a shared filesystem) or NormScope's TCP store (several machines).
// Collectives are synchronous like PyTorch's: the calling thread blocks in gloo until the collective
// completes, a peer closes its connection, or the timeout passes; every failure becomes a JS Error
// carrying gloo's message. Float64 only: SyncBatchNorm's statistics travel in double.
#include <napi.h>

#include <gloo/allgather.h>
#include <gloo/allreduce.h>
#include <gloo/barrier.h>
#include <gloo/broadcast.h>
#include <gloo/math.h>
#include <gloo/rendezvous/context.h>
#include <gloo/rendezvous/file_store.h>
#include <gloo/rendezvous/prefix_store.h>
#include <gloo/transport/tcp/device.h>

#include <chrono>
#include <memory>
#include <string>

#include "tcp_store.h"

namespace {

using ms = std::chrono::milliseconds;

class GlooContext : public Napi::ObjectWrap<GlooContext> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "GlooContext",
                       {InstanceMethod("allGather", &GlooContext::AllGather),
                        InstanceMethod("allReduceSum", &GlooContext::AllReduceSum),
                        InstanceMethod("broadcast", &GlooContext::Broadcast),
                        InstanceMethod("barrier", &GlooContext::Barrier),
                        InstanceMethod("storeSet", &GlooContext::StoreSet),
                        InstanceMethod("storeGet", &GlooContext::StoreGet),
                        InstanceMethod("close", &GlooContext::Close)});
  }

  // new GlooContext({rank, size, prefix, timeoutMs, storePath | storeHost+storePort+storeSecret, hostname})
  explicit GlooContext(const Napi::CallbackInfo& info) : Napi::ObjectWrap<GlooContext>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsObject()) {
      Napi::TypeError::New(env, "GlooContext expects an options object").ThrowAsJavaScriptException();
      return;
    }
    Napi::Object o = info[0].As<Napi::Object>();
    int rank = o.Get("rank").As<Napi::Number>().Int32Value();
    int size = o.Get("size").As<Napi::Number>().Int32Value();
    prefix_ = o.Get("prefix").As<Napi::String>().Utf8Value();
    timeout_ = ms(static_cast<int64_t>(o.Get("timeoutMs").As<Napi::Number>().DoubleValue()));
    std::string hostname = o.Has("hostname") && o.Get("hostname").IsString()
                               ? o.Get("hostname").As<Napi::String>().Utf8Value()
                               : std::string("127.0.0.1");
    try {
      if (o.Has("storePath") && o.Get("storePath").IsString()) {
        store_ = std::make_shared<gloo::rendezvous::FileStore>(o.Get("storePath").As<Napi::String>().Utf8Value());
      } else if (o.Has("storeHost") && o.Get("storeHost").IsString()) {
        std::string secret = o.Has("storeSecret") && o.Get("storeSecret").IsString()
                                 ? o.Get("storeSecret").As<Napi::String>().Utf8Value()
                                 : std::string();
        tcpStore_ = std::make_shared<normscope::TcpStore>(o.Get("storeHost").As<Napi::String>().Utf8Value(),
                                                          o.Get("storePort").As<Napi::Number>().Int32Value(), timeout_,
                                                          secret);
        store_ = tcpStore_;
      } else {
        Napi::TypeError::New(env, "GlooContext needs storePath or storeHost/storePort").ThrowAsJavaScriptException();
        return;
      }
      gloo::transport::tcp::attr attr;
      attr.hostname = hostname;
      device_ = gloo::transport::tcp::CreateDevice(attr);
      auto ctx = std::make_shared<gloo::rendezvous::Context>(rank, size);
      ctx->setTimeout(timeout_);
      gloo::rendezvous::PrefixStore prefixed(prefix_, *store_);
      ctx->connectFullMesh(prefixed, device_);
      context_ = ctx;
    } catch (const std::exception& e) {
      Napi::Error::New(env, std::string("gloo rendezvous failed: ") + e.what()).ThrowAsJavaScriptException();
    }
  }

 private:
  bool Ready(const Napi::CallbackInfo& info) {
    if (!context_) {
      Napi::Error::New(info.Env(), "gloo context is closed").ThrowAsJavaScriptException();
      return false;
    }
    return true;
  }

  static ms TimeoutArg(const Napi::CallbackInfo& info, size_t i) {
    return ms(static_cast<int64_t>(info[i].As<Napi::Number>().DoubleValue()));
  }

  // allGather(input: Float64Array, output: Float64Array, tag, timeoutMs)
  Napi::Value AllGather(const Napi::CallbackInfo& info) {
    if (!Ready(info)) return info.Env().Undefined();
    auto in = info[0].As<Napi::Float64Array>();
    auto out = info[1].As<Napi::Float64Array>();
    if (out.ElementLength() != in.ElementLength() * static_cast<size_t>(context_->size)) {
      Napi::RangeError::New(info.Env(), "allGather output must hold size x input values").ThrowAsJavaScriptException();
      return info.Env().Undefined();
    }
    try {
      gloo::AllgatherOptions opts(context_);
      opts.setInput(in.Data(), in.ElementLength());
      opts.setOutput(out.Data(), out.ElementLength());
      opts.setTag(info[2].As<Napi::Number>().Uint32Value());
      opts.setTimeout(TimeoutArg(info, 3));
      gloo::allgather(opts);
    } catch (const std::exception& e) {
      Napi::Error::New(info.Env(), e.what()).ThrowAsJavaScriptException();
    }
    return info.Env().Undefined();
  }

  // allReduceSum(data: Float64Array (in place), tag, timeoutMs, bcube?: boolean)
  // Ring by default; bcube takes log2(size) steps each way instead of size-1 (fewer hops for the
  // small SyncBatchNorm payloads; used for power-of-two group sizes).
  Napi::Value AllReduceSum(const Napi::CallbackInfo& info) {
    if (!Ready(info)) return info.Env().Undefined();
    auto buf = info[0].As<Napi::Float64Array>();
    try {
      gloo::AllreduceOptions opts(context_);
      opts.setOutput(buf.Data(), buf.ElementLength());
      void (*fn)(void*, const void*, const void*, size_t) = &gloo::sum<double>;
      opts.setReduceFunction(fn);
      opts.setTag(info[1].As<Napi::Number>().Uint32Value());
      opts.setTimeout(TimeoutArg(info, 2));
      if (info.Length() > 3 && info[3].IsBoolean() && info[3].As<Napi::Boolean>().Value()) {
        opts.setAlgorithm(gloo::AllreduceOptions::Algorithm::BCUBE);
      }
      gloo::allreduce(opts);
    } catch (const std::exception& e) {
      Napi::Error::New(info.Env(), e.what()).ThrowAsJavaScriptException();
    }
    return info.Env().Undefined();
  }

  // broadcast(data: Float64Array (in place), root, tag, timeoutMs)
  Napi::Value Broadcast(const Napi::CallbackInfo& info) {
    if (!Ready(info)) return info.Env().Undefined();
    auto buf = info[0].As<Napi::Float64Array>();
    try {
      gloo::BroadcastOptions opts(context_);
      int root = info[1].As<Napi::Number>().Int32Value();
      if (context_->rank == root) opts.setInput(buf.Data(), buf.ElementLength());
      opts.setOutput(buf.Data(), buf.ElementLength());
      opts.setRoot(root);
      opts.setTag(info[2].As<Napi::Number>().Uint32Value());
      opts.setTimeout(TimeoutArg(info, 3));
      gloo::broadcast(opts);
    } catch (const std::exception& e) {
      Napi::Error::New(info.Env(), e.what()).ThrowAsJavaScriptException();
    }
    return info.Env().Undefined();
  }

  // barrier(tag, timeoutMs)
  Napi::Value Barrier(const Napi::CallbackInfo& info) {
    if (!Ready(info)) return info.Env().Undefined();
    try {
      gloo::BarrierOptions opts(context_);
      opts.setTag(info[0].As<Napi::Number>().Uint32Value());
      opts.setTimeout(TimeoutArg(info, 1));
      gloo::barrier(opts);
    } catch (const std::exception& e) {
      Napi::Error::New(info.Env(), e.what()).ThrowAsJavaScriptException();
    }
    return info.Env().Undefined();
  }

  // storeSet(key, value): diagnostics after a failed collective (which rank reached which call).
  Napi::Value StoreSet(const Napi::CallbackInfo& info) {
    std::string key = prefix_ + "/" + info[0].As<Napi::String>().Utf8Value();
    std::string value = info[1].As<Napi::String>().Utf8Value();
    try {
      store_->set(key, std::vector<char>(value.begin(), value.end()));
    } catch (const std::exception& e) {
      Napi::Error::New(info.Env(), e.what()).ThrowAsJavaScriptException();
    }
    return info.Env().Undefined();
  }

  // storeGet(key, timeoutMs) -> string | null (null when the key did not appear in time)
  Napi::Value StoreGet(const Napi::CallbackInfo& info) {
    std::string key = prefix_ + "/" + info[0].As<Napi::String>().Utf8Value();
    try {
      store_->wait({key}, TimeoutArg(info, 1));
      std::vector<char> v = store_->get(key);
      return Napi::String::New(info.Env(), std::string(v.begin(), v.end()));
    } catch (const std::exception&) {
      return info.Env().Null();
    }
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    context_.reset();
    device_.reset();
    return info.Env().Undefined();
  }

  std::shared_ptr<gloo::Context> context_;
  std::shared_ptr<gloo::transport::Device> device_;
  std::shared_ptr<gloo::rendezvous::Store> store_;
  std::shared_ptr<normscope::TcpStore> tcpStore_;
  std::string prefix_;
  ms timeout_{30000};
};

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("GlooContext", GlooContext::Init(env));
  exports.Set("libgloo", Napi::String::New(env, "libgloo (Debian libgloo-dev), TCP transport"));
  return exports;
}

}  // namespace

NODE_API_MODULE(normscope_gloo, Init)
