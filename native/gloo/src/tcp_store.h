// A gloo rendezvous Store that talks to NormScope's TCP key-value store (app/ranks/tcpStore.ts), so
// ranks on several machines can rendezvous through one address. Protocol (binary, little-endian):
//   AUTH: [u8 3][u32 slen][secret]                -> [u8 1] | [u8 0] (wrong secret; the store closes)
//   SET:  [u8 1][u32 klen][key][u32 vlen][value]  -> [u8 1] | [u8 2][u32 mlen][message] (over a budget)
//   GET:  [u8 2][u32 klen][key]                   -> [u8 1][u32 vlen][value] | [u8 0] (not set yet)
// The connection proves the run's secret first. Sizes are bounded on this side too: a store (or
// whatever answers at its address) cannot make a rank allocate more than kMaxValueBytes per value.
// wait() polls GET until every key exists or the timeout passes.
#pragma once
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include <gloo/rendezvous/store.h>

namespace normscope {

class TcpStore : public gloo::rendezvous::Store {
 public:
  // Largest key and value this client sends or accepts (the store's own budgets are lower by default).
  static constexpr uint32_t kMaxKeyBytes = 64 * 1024;
  static constexpr uint32_t kMaxValueBytes = 16 * 1024 * 1024;
  // Longest refusal message read from the store.
  static constexpr uint32_t kMaxMessageBytes = 4096;

  TcpStore(const std::string& host, int port, std::chrono::milliseconds timeout, const std::string& secret);
  ~TcpStore() override;
  void set(const std::string& key, const std::vector<char>& data) override;
  std::vector<char> get(const std::string& key) override;
  void wait(const std::vector<std::string>& keys) override { wait(keys, timeout_); }
  void wait(const std::vector<std::string>& keys, const std::chrono::milliseconds& timeout) override;
  // Non-blocking lookup: false when the key is not set.
  bool tryGet(const std::string& key, std::vector<char>* out);

 private:
  void sendAll(const void* p, size_t n);
  void recvAll(void* p, size_t n);
  uint32_t recvU32();
  // Reads a refusal's message and throws it.
  [[noreturn]] void throwRefusal();
  void authenticate(const std::string& secret);
  int fd_ = -1;
  std::mutex mu_;
  std::chrono::milliseconds timeout_;
  std::string where_;
};

}  // namespace normscope
