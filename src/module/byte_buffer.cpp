#include "module/byte_buffer.hpp"

#include <cstring>
#include <utility>

namespace kmpkit {
namespace {

// Larger buffers are freed, not kept (a module is at most a few tens of MB).
constexpr size_t kMaxSpareSize = size_t{128} << 20;

struct Spares {
  static constexpr size_t kSlots = 2;  // an input and an output buffer per thread
  std::unique_ptr<char[]> data[kSlots];
  size_t capacity[kSlots] = {};
  ~Spares();
};

// Set once the thread's spares are destroyed (thread exit): later releases simply free.
thread_local bool spares_gone = false;
thread_local Spares spares;

Spares::~Spares() { spares_gone = true; }

}  // namespace

ByteBuffer::ByteBuffer(size_t capacity) {
  if (!spares_gone) {
    size_t best = Spares::kSlots;
    for (size_t i = 0; i < Spares::kSlots; ++i)
      if (spares.capacity[i] >= capacity && (best == Spares::kSlots || spares.capacity[i] < spares.capacity[best]))
        best = i;
    if (best != Spares::kSlots) {
      data_ = std::move(spares.data[best]);
      capacity_ = std::exchange(spares.capacity[best], 0);
      return;
    }
  }
  data_ = std::make_unique_for_overwrite<char[]>(capacity);
  capacity_ = capacity;
}

ByteBuffer::ByteBuffer(ByteBuffer&& other) noexcept
    : data_(std::move(other.data_)), capacity_(std::exchange(other.capacity_, 0)) {}

ByteBuffer& ByteBuffer::operator=(ByteBuffer&& other) noexcept {
  if (this != &other) {
    release();
    data_ = std::move(other.data_);
    capacity_ = std::exchange(other.capacity_, 0);
  }
  return *this;
}

ByteBuffer::~ByteBuffer() { release(); }

void ByteBuffer::grow(size_t capacity, size_t keep) {
  ByteBuffer bigger(capacity);
  if (keep) std::memcpy(bigger.data(), data(), keep);
  *this = std::move(bigger);
}

void ByteBuffer::release() {
  if (!data_ || spares_gone || capacity_ > kMaxSpareSize) {
    data_.reset();
    capacity_ = 0;
    return;
  }
  // Keep it in place of the smallest spare when it is larger (an empty slot is the smallest).
  size_t smallest = 0;
  for (size_t i = 1; i < Spares::kSlots; ++i)
    if (spares.capacity[i] < spares.capacity[smallest]) smallest = i;
  if (spares.capacity[smallest] < capacity_) {
    spares.data[smallest] = std::move(data_);
    spares.capacity[smallest] = std::exchange(capacity_, 0);
  }
  data_.reset();
  capacity_ = 0;
}

}  // namespace kmpkit
