// Thread-local last-error text behind ns_last_error().
#ifndef NORMSCOPE_NS_ERROR_H
#define NORMSCOPE_NS_ERROR_H

namespace ns {
// Records `msg` for ns_last_error() and returns `code`.
int set_error(int code, const char *msg);
// Clears the error text and returns NS_OK.
int clear_error();
}  // namespace ns

#endif
