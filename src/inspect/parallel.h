// Runs a job per item on a few threads and hands the results to `emit` in item order, as soon
// as each one and all before it are done; only a window of results is held at once.
#ifndef INSPECT_PARALLEL_H_
#define INSPECT_PARALLEL_H_

#include <functional>
#include <string>

namespace barekit::inspect {

void RunOrdered(size_t count, unsigned threads, const std::function<std::string(size_t)>& job,
                const std::function<void(size_t, std::string&&)>& emit);

}  // namespace barekit::inspect

#endif  // INSPECT_PARALLEL_H_
