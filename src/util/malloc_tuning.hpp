#pragma once
// glibc malloc settings for a short command that builds megabytes of strings on a few threads
// (depmod). By default each thread's arena grows its heap one mprotect() per few pages and every
// allocation over 128 kB is a fresh mmap, page-faulted in and unmapped again: profiled, about a
// thousand mprotect calls and a fifth of an incremental depmod's CPU, most of it in the kernel
// (worse in a virtual machine). One arena, grown and kept in large steps, avoids that.
namespace kmpkit {

// Call once, before the threads start. Memory use stays what the command touches.
void tune_malloc_for_batch_work();

}  // namespace kmpkit
