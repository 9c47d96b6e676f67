#include "inspect/parallel.h"

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

namespace barekit::inspect {

void RunOrdered(size_t count, unsigned threads, const std::function<std::string(size_t)>& job,
                const std::function<void(size_t, std::string&&)>& emit) {
  if (threads <= 1 || count <= 1) {
    for (size_t i = 0; i < count; ++i) emit(i, job(i));
    return;
  }
  std::atomic<size_t> next{0};
  std::mutex mu;
  std::condition_variable cv;
  std::map<size_t, std::string> done;
  size_t emitted = 0;
  // Workers stay at most `window` items ahead of the printer, bounding held results.
  const size_t window = threads * 8;
  auto worker = [&] {
    for (;;) {
      size_t i = next.fetch_add(1);
      if (i >= count) return;
      {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [&] { return i < emitted + window; });
      }
      std::string out = job(i);
      std::lock_guard<std::mutex> lock(mu);
      done.emplace(i, std::move(out));
      cv.notify_all();
    }
  };
  std::vector<std::thread> pool;
  unsigned n = threads < count ? threads : static_cast<unsigned>(count);
  pool.reserve(n);
  for (unsigned t = 0; t < n; ++t) pool.emplace_back(worker);
  while (emitted < count) {
    std::string out;
    {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return done.count(emitted) != 0; });
      out = std::move(done[emitted]);
      done.erase(emitted);
    }
    emit(emitted, std::move(out));
    std::lock_guard<std::mutex> lock(mu);
    ++emitted;
    cv.notify_all();
  }
  for (auto& t : pool) t.join();
}

}  // namespace barekit::inspect
