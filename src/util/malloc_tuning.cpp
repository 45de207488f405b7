#include "util/malloc_tuning.hpp"

#include <malloc.h>

namespace kmpkit {

void tune_malloc_for_batch_work() {
  mallopt(M_ARENA_MAX, 1);                 // the threads share the main heap (few, mostly not allocating together)
  mallopt(M_TOP_PAD, 64 << 20);            // grow it in 64 MB steps of address space (pages fault in only when used)
  mallopt(M_TRIM_THRESHOLD, 256 << 20);    // and do not give freed memory back to the kernel mid-run
  mallopt(M_MMAP_THRESHOLD, 256 << 20);    // large strings from the heap, reused after free, not fresh mmaps
}

}  // namespace kmpkit
