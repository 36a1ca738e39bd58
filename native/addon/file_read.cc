// readFileRange(fd, offset, dst[, parts]): fills the Uint8Array `dst` with the bytes of the open file
// `fd` (a POSIX descriptor, as Node's fs.openSync returns there) from `offset`, reading up to `parts`
// pieces concurrently (positioned reads on their own threads). Reading through the caller's descriptor
// keeps every read on the file it opened, even if the path is replaced meanwhile. On the
// machines measured, a checkpoint's storages come in faster this way than in one read: the disk and the
// page faults of a fresh destination both overlap (100 MiB: 330-460 ms in one read, 230-340 ms in four;
// see bench/checkpoint.bench.ts). Reads only: nothing from the file is interpreted here. POSIX only;
// elsewhere the function is absent and engine/io reads with fs.readSync.
#include "file_read.h"

#if defined(__unix__) || defined(__APPLE__)
#include <cerrno>
#include <cstring>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

struct Piece {
  uint8_t *dst;
  int64_t offset, length, done;
  int err;  // errno of a failed read, 0 otherwise
};

void read_piece(int fd, Piece &p) {
  while (p.done < p.length) {
    const int64_t want = p.length - p.done < ((int64_t)1 << 30) ? p.length - p.done : ((int64_t)1 << 30);
    const ssize_t n = pread(fd, p.dst + p.done, (size_t)want, (off_t)(p.offset + p.done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      p.err = errno;
      return;
    }
    if (n == 0) return;  // end of file: the caller reports the short read
    p.done += n;
  }
}

}  // namespace

Napi::Value ReadFileRange(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (!info[0].IsNumber()) throw Napi::TypeError::New(env, "fd must be a number");
  if (!info[1].IsNumber()) throw Napi::TypeError::New(env, "offset must be a number");
  if (!info[2].IsTypedArray() || info[2].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
    throw Napi::TypeError::New(env, "dst must be a Uint8Array");
  const int fd = info[0].As<Napi::Number>().Int32Value();
  if (fd < 0) throw Napi::RangeError::New(env, "fd must be a file descriptor");
  const double off = info[1].As<Napi::Number>().DoubleValue();
  if (!(off >= 0) || off > 9007199254740991.0 || off != (double)(int64_t)off)
    throw Napi::RangeError::New(env, "offset must be a non-negative integer");
  Napi::Uint8Array dst = info[2].As<Napi::Uint8Array>();
  int parts = info.Length() > 3 && info[3].IsNumber() ? info[3].As<Napi::Number>().Int32Value() : 4;
  if (parts < 1) parts = 1;
  if (parts > 16) parts = 16;
  const int64_t length = (int64_t)dst.ByteLength(), offset = (int64_t)off;
  // Pieces of at least 1 MiB: below that a thread costs more than it saves.
  const int64_t min_piece = (int64_t)1 << 20;
  if (length < (int64_t)parts * min_piece) parts = (int)(length / min_piece > 0 ? length / min_piece : 1);

  std::vector<Piece> pieces((size_t)parts);
  const int64_t each = (length + parts - 1) / parts;
  for (int i = 0; i < parts; i++) {
    const int64_t start = (int64_t)i * each;
    const int64_t len = start >= length ? 0 : (length - start < each ? length - start : each);
    pieces[(size_t)i] = {dst.Data() + start, offset + start, len, 0, 0};
  }
  {
    std::vector<std::thread> threads;
    try {
      for (int i = 1; i < parts; i++) threads.emplace_back(read_piece, fd, std::ref(pieces[(size_t)i]));
    } catch (const std::system_error &) {
      // no thread available: the remaining pieces are read on this thread below
    }
    read_piece(fd, pieces[0]);
    for (size_t i = threads.size() + 1; i < pieces.size(); i++) read_piece(fd, pieces[i]);
    for (auto &t : threads) t.join();
  }
  int64_t total = 0;
  for (const Piece &p : pieces) {
    if (p.err != 0) throw Napi::Error::New(env, std::string("read failed: ") + std::strerror(p.err));
    total += p.done;
  }
  // A piece that stopped early means the file ended inside the range.
  for (const Piece &p : pieces)
    if (p.done < p.length)
      throw Napi::RangeError::New(env, "unexpected end of file at byte " + std::to_string(p.offset + p.done));
  return Napi::Number::New(env, (double)total);
}

bool HaveReadFileRange() { return true; }

#else

Napi::Value ReadFileRange(const Napi::CallbackInfo &info) {
  throw Napi::Error::New(info.Env(), "readFileRange is not available on this platform");
}

bool HaveReadFileRange() { return false; }

#endif
