#pragma once
// A heap buffer for module bytes that is never zero-filled and, when released, is kept as a spare
// of its thread for the next module. A thread that reads thousands of modules then allocates (and
// page-faults) only for the few largest, and never unmaps memory: in a process with reader
// threads on several cores, every munmap is a TLB shootdown interrupting all of them.
#include <cstddef>
#include <memory>

namespace kmpkit {

class ByteBuffer {
 public:
  ByteBuffer() = default;
  explicit ByteBuffer(size_t capacity);  // a spare of this thread with room, else a new allocation
  ByteBuffer(ByteBuffer&& other) noexcept;
  ByteBuffer& operator=(ByteBuffer&& other) noexcept;
  ~ByteBuffer();  // the allocation becomes a spare of the releasing thread (or is freed)

  char* data() const { return data_.get(); }
  size_t capacity() const { return capacity_; }
  // A larger buffer holding the first `keep` bytes of this one.
  void grow(size_t capacity, size_t keep);

 private:
  void release();
  std::unique_ptr<char[]> data_;
  size_t capacity_ = 0;
};

}  // namespace kmpkit
