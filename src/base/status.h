// Errors are values: Status carries a category and a message; Result<T> is a value or a Status.
// An OK Status holds nothing and costs nothing to pass around (after LevelDB's Status).
#ifndef BASE_STATUS_H_
#define BASE_STATUS_H_

#include <cassert>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace barekit {

enum class ErrorCode {
  kOk = 0,
  kNotFound,     // the thing looked for is absent (a file, a section)
  kNotMine,      // a format reader: these bytes are not my format
  kCorrupt,      // the bytes claim to be a format but break its rules
  kUnsupported,  // a valid input barekit does not handle
  kInvalidArgument,
  kIoError,
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(ErrorCode code, std::string message)
      : rep_(std::make_shared<Rep>(Rep{code, std::move(message)})) {}

  static Status Ok() { return {}; }
  static Status NotFound(std::string m) { return {ErrorCode::kNotFound, std::move(m)}; }
  static Status NotMine(std::string m) { return {ErrorCode::kNotMine, std::move(m)}; }
  static Status Corrupt(std::string m) { return {ErrorCode::kCorrupt, std::move(m)}; }
  static Status Unsupported(std::string m) { return {ErrorCode::kUnsupported, std::move(m)}; }
  static Status InvalidArgument(std::string m) {
    return {ErrorCode::kInvalidArgument, std::move(m)};
  }
  static Status IoError(std::string m) { return {ErrorCode::kIoError, std::move(m)}; }

  bool ok() const { return rep_ == nullptr; }
  ErrorCode code() const { return rep_ ? rep_->code : ErrorCode::kOk; }
  bool IsNotMine() const { return code() == ErrorCode::kNotMine; }
  bool IsNotFound() const { return code() == ErrorCode::kNotFound; }
  const std::string& message() const {
    static const std::string kEmpty;
    return rep_ ? rep_->message : kEmpty;
  }
  // A new Status of the same code with `context: ` in front of the message.
  Status WithContext(std::string_view context) const {
    if (ok()) return *this;
    return Status(code(), std::string(context) + ": " + message());
  }

 private:
  struct Rep {
    ErrorCode code;
    std::string message;
  };
  std::shared_ptr<const Rep> rep_;
};

// A value or the Status that explains why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!std::get<Status>(v_).ok() && "Result built from an OK Status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace barekit

// Early return of a failed Status; evaluates the expression once.
#define BK_RETURN_IF_ERROR(expr)             \
  do {                                       \
    ::barekit::Status bk_status_ = (expr);   \
    if (!bk_status_.ok()) return bk_status_; \
  } while (0)

#define BK_CONCAT_INNER(a, b) a##b
#define BK_CONCAT(a, b) BK_CONCAT_INNER(a, b)
// BK_ASSIGN_OR_RETURN(auto x, ReadThing()); returns the Status when it failed. `lhs` may be a
// declaration and `tmp` a generated name, so neither can be parenthesized.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define BK_ASSIGN_OR_RETURN(lhs, expr) \
  BK_ASSIGN_OR_RETURN_IMPL(BK_CONCAT(bk_result_, __LINE__), lhs, expr)
#define BK_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                             \
  if (!tmp.ok()) return tmp.status();            \
  lhs = std::move(tmp).value()
// NOLINTEND(bugprone-macro-parentheses)

#endif  // BASE_STATUS_H_
