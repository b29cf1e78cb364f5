// A fixed pool of worker threads that runs one parallel loop at a time.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace gail_fast {

class ThreadPool {
 public:
  // nthread counts the calling thread, which works too: nthread=1 starts no worker.
  explicit ThreadPool(int nthread);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int nthread() const { return static_cast<int>(workers_.size()) + 1; }

  // Calls fn(i, thread) for every i in [0, n), each exactly once, spread over the threads
  // by an atomic counter so that slow items (contacts, resets) do not leave threads idle;
  // thread in [0, nthread) names the thread running the call (0: the caller), for
  // per-thread scratch. Returns when all calls have returned. fn must not throw.
  using Fn = std::function<void(int, int)>;
  void parallel_for(int n, const Fn& fn);

 private:
  void worker_loop(int thread);
  void run_items(int thread);

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  const Fn* fn_ = nullptr;
  int n_ = 0;
  std::atomic<int> next_{0};
  std::atomic<int> busy_{0};  // workers still inside the current loop
  std::atomic<std::uint64_t> generation_{0};
  bool stop_ = false;
};

}  // namespace gail_fast
