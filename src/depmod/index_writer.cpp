#include "depmod/index_writer.hpp"

#include <algorithm>

namespace kmpkit::depmod {
namespace {

constexpr uint32_t kIndexMagic = 0xB007F457;
constexpr uint32_t kIndexVersion = 0x00020001;
constexpr uint32_t kNodePrefix = 0x80000000;
constexpr uint32_t kNodeValues = 0x40000000;
constexpr uint32_t kNodeChilds = 0x20000000;

void put32(std::string& out, uint32_t v) {
  char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
               static_cast<char>(v)};
  out.append(b, 4);
}

void set32(std::string& out, size_t at, uint32_t v) {
  out[at] = static_cast<char>(v >> 24);
  out[at + 1] = static_cast<char>(v >> 16);
  out[at + 2] = static_cast<char>(v >> 8);
  out[at + 3] = static_cast<char>(v);
}

unsigned char at(std::string_view s, size_t i) { return static_cast<unsigned char>(s[i]); }

// Byte at `depth` plus one, 0 past the end: the multikey quicksort's character.
template <class E>
int key_char(const E& e, size_t depth) {
  return depth < e.key.size() ? static_cast<unsigned char>(e.key[depth]) + 1 : 0;
}

// Bentley-Sedgewick multikey quicksort on the keys (many keys share long prefixes, such as
// "pci:v00008086d..."; a comparison sort would compare those prefixes again and again).
template <class E>
void multikey_sort(E* a, size_t n, size_t depth) {
  while (n > 1) {
    if (n < 12) {
      for (size_t i = 1; i < n; ++i)
        for (size_t j = i; j > 0 && a[j].key.substr(depth) < a[j - 1].key.substr(depth); --j) std::swap(a[j], a[j - 1]);
      return;
    }
    int x = key_char(a[0], depth), y = key_char(a[n / 2], depth), z = key_char(a[n - 1], depth);
    int pivot = std::max(std::min(x, y), std::min(std::max(x, y), z));
    // Three-way partition: [0, lt) < pivot, [lt, gt) == pivot, [gt, n) > pivot.
    size_t lt = 0, i = 0, gt = n;
    while (i < gt) {
      int c = key_char(a[i], depth);
      if (c < pivot) std::swap(a[lt++], a[i++]);
      else if (c > pivot) std::swap(a[i], a[--gt]);
      else ++i;
    }
    multikey_sort(a, lt, depth);
    multikey_sort(a + gt, n - gt, depth);
    if (pivot == 0) return;  // the middle part: equal keys
    a += lt;
    n = gt - lt;
    ++depth;
  }
}

}  // namespace

void IndexBuilder::insert(std::string_view key, std::string_view value, uint32_t priority) {
  entries_.push_back({key, value, priority, static_cast<uint32_t>(entries_.size())});
}

// Entries [lo, hi) are sorted and share their first `depth` key bytes. kmod's trie: the root has
// an empty prefix; any other node's prefix is the longest common prefix of the rest of its keys
// (after the branching character). Values of keys ending at the node; children by next byte,
// written first in ascending byte order; then the node itself.
uint32_t IndexBuilder::write_node(size_t lo, size_t hi, size_t depth, bool root, std::string& out) {
  size_t plen = 0;
  if (!root) {
    std::string_view first = entries_[lo].key.substr(depth), last = entries_[hi - 1].key.substr(depth);
    size_t n = std::min(first.size(), last.size());
    while (plen < n && first[plen] == last[plen]) ++plen;
  }
  size_t end = depth + plen;  // keys of exactly this length end here
  size_t vals_end = lo;
  while (vals_end < hi && entries_[vals_end].key.size() == end) ++vals_end;

  // Children, grouped by the byte at `end` (kept on scratch_ above the parents' children).
  const size_t base_child = scratch_.size();
  for (size_t i = vals_end; i < hi;) {
    unsigned char ch = at(entries_[i].key, end);
    size_t j = i + 1;
    while (j < hi && at(entries_[j].key, end) == ch) ++j;
    uint32_t child = write_node(i, j, end + 1, false, out);
    scratch_.push_back({ch, child});
    i = j;
  }
  const size_t n_children = scratch_.size() - base_child;

  uint32_t offset = static_cast<uint32_t>(out.size());
  if (plen) {
    out.append(entries_[lo].key.substr(depth, plen));
    out.push_back('\0');
    offset |= kNodePrefix;
  }
  if (n_children) {
    unsigned char first = scratch_[base_child].ch, last = scratch_.back().ch;
    out.push_back(static_cast<char>(first));
    out.push_back(static_cast<char>(last));
    size_t base = out.size();
    out.append(4 * (last - first + 1), '\0');
    for (size_t c = base_child; c < scratch_.size(); ++c)
      set32(out, base + 4 * (scratch_[c].ch - first), scratch_[c].offset);
    scratch_.resize(base_child);
    offset |= kNodeChilds;
  }
  if (vals_end > lo) {
    put32(out, static_cast<uint32_t>(vals_end - lo));
    for (size_t i = lo; i < vals_end; ++i) {
      put32(out, entries_[i].priority);
      out.append(entries_[i].value);
      out.push_back('\0');
    }
    offset |= kNodeValues;
  }
  return offset;
}

std::string IndexBuilder::write() {
  // Key order, then the order kmod keeps values in: ascending priority, newest first on a tie.
  multikey_sort(entries_.data(), entries_.size(), 0);
  for (size_t i = 0; i < entries_.size();) {
    size_t j = i + 1;
    while (j < entries_.size() && entries_[j].key == entries_[i].key) ++j;
    if (j - i > 1)
      std::sort(entries_.begin() + i, entries_.begin() + j, [](const Entry& a, const Entry& b) {
        if (a.priority != b.priority) return a.priority < b.priority;
        return a.seq > b.seq;
      });
    i = j;
  }
  std::string out;
  size_t estimate = 16;
  // Generous (pages never touched cost nothing): a short estimate meant one more copy of the file.
  for (const auto& e : entries_) estimate += e.value.size() + 24 + e.key.size();
  out.reserve(estimate);
  put32(out, kIndexMagic);
  put32(out, kIndexVersion);
  put32(out, 0);
  uint32_t root;
  if (entries_.empty()) {
    root = static_cast<uint32_t>(out.size());  // the empty root node: no bytes at all
  } else {
    root = write_node(0, entries_.size(), 0, true, out);
  }
  set32(out, 8, root);
  return out;
}

}  // namespace kmpkit::depmod
