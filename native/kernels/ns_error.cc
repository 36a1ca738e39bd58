#include "ns_error.h"

#include <cstring>

#include "normscope_abi.h"

namespace ns {
namespace {
thread_local char last_error[512] = "";
}

int set_error(int code, const char *msg) {
  std::strncpy(last_error, msg ? msg : "", sizeof last_error - 1);
  last_error[sizeof last_error - 1] = '\0';
  return code;
}

int clear_error() {
  last_error[0] = '\0';
  return NS_OK;
}

const char *get_error() { return last_error; }
}  // namespace ns

NS_API const char *ns_last_error(void) { return ns::get_error(); }
