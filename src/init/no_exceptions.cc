// barekit-init is built with -fno-exceptions, yet the static libstdc++ still reaches its throw
// helpers (allocation failure, std::string bounds). Their library versions pull in the whole
// exception runtime and the C++ demangler of the verbose terminate handler — about 100 KB of the
// static binary. These replacements report and abort instead, which is what an exception would
// have come to in a program that catches none.
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace {
[[noreturn]] void Die(const char* what) {
  const char prefix[] = "barekit-init: fatal: ";
  (void)!write(2, prefix, sizeof prefix - 1);
  (void)!write(2, what, std::strlen(what));
  (void)!write(2, "\n", 1);
  std::abort();
}
}  // namespace

namespace std {
[[noreturn]] void __throw_bad_alloc() { Die("out of memory"); }
[[noreturn]] void __throw_bad_array_new_length() { Die("bad array new length"); }
[[noreturn]] void __throw_bad_function_call() { Die("bad function call"); }
[[noreturn]] void __throw_length_error(const char* s) { Die(s); }
[[noreturn]] void __throw_logic_error(const char* s) { Die(s); }
[[noreturn]] void __throw_out_of_range(const char* s) { Die(s); }
[[noreturn]] void __throw_out_of_range_fmt(const char* s, ...) { Die(s); }
[[noreturn]] void __throw_invalid_argument(const char* s) { Die(s); }
[[noreturn]] void __throw_runtime_error(const char* s) { Die(s); }
[[noreturn]] void __throw_overflow_error(const char* s) { Die(s); }
[[noreturn]] void __throw_underflow_error(const char* s) { Die(s); }
[[noreturn]] void __throw_range_error(const char* s) { Die(s); }
[[noreturn]] void __throw_domain_error(const char* s) { Die(s); }
[[noreturn]] void __throw_system_error(int) { Die("system error"); }
[[noreturn]] void __throw_bad_cast() { Die("bad cast"); }
[[noreturn]] void __throw_bad_typeid() { Die("bad typeid"); }
[[noreturn]] void __throw_bad_exception() { Die("bad exception"); }
}  // namespace std

extern "C" [[noreturn]] void __cxa_pure_virtual() { Die("pure virtual call"); }
