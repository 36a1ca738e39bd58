#include "tcp_store.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>

namespace normscope {

static void putU32(std::vector<char>& b, uint32_t v) {
  for (int i = 0; i < 4; i++) b.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

static void checkKey(const std::string& where, const std::string& key) {
  if (key.size() > TcpStore::kMaxKeyBytes) {
    throw std::runtime_error("TCP store " + where + ": key of " + std::to_string(key.size()) +
                             " bytes is over the client's limit of " + std::to_string(TcpStore::kMaxKeyBytes));
  }
}

TcpStore::TcpStore(const std::string& host, int port, std::chrono::milliseconds timeout, const std::string& secret)
    : timeout_(timeout), where_(host + ":" + std::to_string(port)) {
  if (secret.empty() || secret.size() > 256) {
    throw std::runtime_error("TCP store " + where_ +
                             ": needs the run's store secret (NORMSCOPE_STORE_SECRET, 16-256 characters)");
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res);
  if (rc != 0) throw std::runtime_error("TCP store " + where_ + ": cannot resolve host: " + gai_strerror(rc));
  // The store server may start a moment after the rank: retry until the timeout.
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string lastErr = "no address";
  while (fd_ < 0) {
    for (addrinfo* ai = res; ai != nullptr && fd_ < 0; ai = ai->ai_next) {
      int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
      if (fd < 0) continue;
      if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
        fd_ = fd;
      } else {
        lastErr = strerror(errno);
        close(fd);
      }
    }
    if (fd_ >= 0) break;
    if (std::chrono::steady_clock::now() > deadline) {
      freeaddrinfo(res);
      throw std::runtime_error("TCP store " + where_ + ": cannot connect: " + lastErr);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  freeaddrinfo(res);
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  // A store that stops answering must not hang a rank forever.
  timeval tv{};
  tv.tv_sec = static_cast<long>(timeout.count() / 1000);
  tv.tv_usec = static_cast<long>((timeout.count() % 1000) * 1000);
  setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  try {
    authenticate(secret);
  } catch (...) {
    close(fd_);
    fd_ = -1;
    throw;
  }
}

void TcpStore::authenticate(const std::string& secret) {
  std::vector<char> msg;
  msg.push_back(3);
  putU32(msg, static_cast<uint32_t>(secret.size()));
  msg.insert(msg.end(), secret.begin(), secret.end());
  sendAll(msg.data(), msg.size());
  char ok = 0;
  try {
    recvAll(&ok, 1);
  } catch (const std::exception&) {
    ok = 0;  // a store that closes instead of answering refused us too
  }
  if (ok != 1) {
    throw std::runtime_error("TCP store " + where_ +
                             ": refused the store secret (every node must be given the same NORMSCOPE_STORE_SECRET)");
  }
}

uint32_t TcpStore::recvU32() {
  unsigned char b[4];
  recvAll(b, 4);
  return b[0] | (b[1] << 8) | (b[2] << 16) | (static_cast<uint32_t>(b[3]) << 24);
}

void TcpStore::throwRefusal() {
  uint32_t n = recvU32();
  if (n > kMaxMessageBytes) {
    throw std::runtime_error("TCP store " + where_ + ": refused, with a " + std::to_string(n) +
                             "-byte message over the client's limit of " + std::to_string(kMaxMessageBytes));
  }
  std::string text(n, '\0');
  if (n > 0) recvAll(text.data(), n);
  throw std::runtime_error("TCP store " + where_ + ": " + text);
}

TcpStore::~TcpStore() {
  if (fd_ >= 0) close(fd_);
}

void TcpStore::sendAll(const void* p, size_t n) {
  const char* c = static_cast<const char*>(p);
  while (n > 0) {
    ssize_t k = send(fd_, c, n, MSG_NOSIGNAL);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) throw std::runtime_error("TCP store " + where_ + ": send failed: " + strerror(errno));
    c += k;
    n -= static_cast<size_t>(k);
  }
}

void TcpStore::recvAll(void* p, size_t n) {
  char* c = static_cast<char*>(p);
  while (n > 0) {
    ssize_t k = recv(fd_, c, n, 0);
    if (k < 0 && errno == EINTR) continue;
    if (k == 0) throw std::runtime_error("TCP store " + where_ + ": connection closed by the store");
    if (k < 0) throw std::runtime_error("TCP store " + where_ + ": receive failed: " + strerror(errno));
    c += k;
    n -= static_cast<size_t>(k);
  }
}


void TcpStore::set(const std::string& key, const std::vector<char>& data) {
  checkKey(where_, key);
  if (data.size() > kMaxValueBytes) {
    throw std::runtime_error("TCP store " + where_ + ": value of " + std::to_string(data.size()) +
                             " bytes is over the client's limit of " + std::to_string(kMaxValueBytes));
  }
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<char> msg;
  msg.push_back(1);
  putU32(msg, static_cast<uint32_t>(key.size()));
  msg.insert(msg.end(), key.begin(), key.end());
  putU32(msg, static_cast<uint32_t>(data.size()));
  msg.insert(msg.end(), data.begin(), data.end());
  sendAll(msg.data(), msg.size());
  char ok = 0;
  recvAll(&ok, 1);
  if (ok == 2) throwRefusal();
  if (ok != 1) throw std::runtime_error("TCP store " + where_ + ": set refused");
}

bool TcpStore::tryGet(const std::string& key, std::vector<char>* out) {
  checkKey(where_, key);
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<char> msg;
  msg.push_back(2);
  putU32(msg, static_cast<uint32_t>(key.size()));
  msg.insert(msg.end(), key.begin(), key.end());
  sendAll(msg.data(), msg.size());
  char found = 0;
  recvAll(&found, 1);
  if (found == 0) return false;
  if (found == 2) throwRefusal();
  if (found != 1) throw std::runtime_error("TCP store " + where_ + ": malformed answer to GET " + key);
  uint32_t n = recvU32();
  // Never size a buffer by what the other end claims beyond the limit.
  if (n > kMaxValueBytes) {
    throw std::runtime_error("TCP store " + where_ + ": value of " + std::to_string(n) + " bytes for key " + key +
                             " is over the client's limit of " + std::to_string(kMaxValueBytes));
  }
  out->resize(n);
  if (n > 0) recvAll(out->data(), n);
  return true;
}

std::vector<char> TcpStore::get(const std::string& key) {
  wait({key}, timeout_);
  std::vector<char> out;
  if (!tryGet(key, &out)) throw std::runtime_error("TCP store " + where_ + ": key vanished: " + key);
  return out;
}

void TcpStore::wait(const std::vector<std::string>& keys, const std::chrono::milliseconds& timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::vector<char> scratch;
  for (const auto& key : keys) {
    while (!tryGet(key, &scratch)) {
      if (std::chrono::steady_clock::now() > deadline) {
        throw std::runtime_error("TCP store " + where_ + ": timed out after " + std::to_string(timeout.count()) +
                                 " ms waiting for key " + key);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
}

}  // namespace normscope
