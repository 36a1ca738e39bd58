// A gloo rendezvous Store that talks to NormScope's TCP key-value store (app/ranks/tcpStore.ts), so
// ranks on several machines can rendezvous through one address. Protocol (binary, little-endian):
//   SET: [u8 1][u32 klen][key][u32 vlen][value]  -> [u8 1]
//   GET: [u8 2][u32 klen][key]                   -> [u8 1][u32 vlen][value] | [u8 0] (not set yet)
// wait() polls GET until every key exists or the timeout passes.
#pragma once
#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include <gloo/rendezvous/store.h>

namespace normscope {

class TcpStore : public gloo::rendezvous::Store {
 public:
  TcpStore(const std::string& host, int port, std::chrono::milliseconds timeout);
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
  int fd_ = -1;
  std::mutex mu_;
  std::chrono::milliseconds timeout_;
  std::string where_;
};

}  // namespace normscope
