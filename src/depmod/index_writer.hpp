#pragma once
// kmod's binary index (modules.*.bin): a radix trie written post-order, byte-identical to
// depmod 30's index_write(). Build it from (key, value, priority) insertions; the file depends only
// on the key set, each key's values and their priorities (and insertion order among values of equal
// priority: the newest comes first).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kmpkit::depmod {

class IndexBuilder {
 public:
  // Keys and values are copied only as views: the caller keeps them alive until write().
  void insert(std::string_view key, std::string_view value, uint32_t priority);
  void reserve(size_t n) { entries_.reserve(n); }
  size_t size() const { return entries_.size(); }
  // The whole file (magic, version, root offset, nodes). An empty index is 12 header bytes plus
  // an empty root node.
  std::string write();

 private:
  struct Entry {
    std::string_view key;
    std::string_view value;
    uint32_t priority;
    uint32_t seq;
  };
  uint32_t write_node(size_t lo, size_t hi, size_t depth, bool root, std::string& out);
  std::vector<Entry> entries_;
  struct Child {
    unsigned char ch;
    uint32_t offset;
  };
  std::vector<Child> scratch_;  // children of the nodes being written (a stack)
};

}  // namespace kmpkit::depmod
