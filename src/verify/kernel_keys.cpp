#include "verify/kernel_keys.hpp"

#include <linux/keyctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace kmpkit::verify {
namespace {

struct ProcKey {
  std::string type;  // as /proc/keys prints it: at most 9 characters ("asymmetri")
  std::string description;
};

std::map<int32_t, ProcKey> parse_proc_keys(std::string_view text) {
  std::map<int32_t, ProcKey> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    // serial flags usage timeout perm uid gid type description...
    std::string_view fields[8];
    size_t at = 0;
    bool ok = true;
    for (auto& f : fields) {
      while (at < line.size() && line[at] == ' ') ++at;
      size_t start = at;
      while (at < line.size() && line[at] != ' ') ++at;
      if (start == at) ok = false;
      f = line.substr(start, at - start);
    }
    if (!ok) continue;
    while (at < line.size() && line[at] == ' ') ++at;
    uint32_t serial = 0;
    try {
      serial = static_cast<uint32_t>(std::stoul(std::string(fields[0]), nullptr, 16));
    } catch (...) {
      continue;
    }
    out[static_cast<int32_t>(serial)] = {std::string(fields[7]), std::string(line.substr(at))};
  }
  return out;
}

// "NAME: 3" / "NAME: empty" -> NAME
std::string keyring_name(const std::string& description) {
  size_t colon = description.rfind(": ");
  return colon == std::string::npos ? description : description.substr(0, colon);
}

// "SUBJECT: KEYID: X509.rsa KEYID []" -> SUBJECT
std::string key_subject(const std::string& description) {
  std::string d = description;
  size_t subtype = d.find(": X509.");
  if (subtype != std::string::npos) {
    d.resize(subtype);
    size_t id = d.rfind(": ");
    return id == std::string::npos ? d : d.substr(0, id);
  }
  size_t colon = d.find(": ");
  return colon == std::string::npos ? d : d.substr(0, colon);
}

std::vector<int32_t> keyring_members(int32_t serial) {
  std::vector<int32_t> out(64);
  for (int attempt = 0; attempt < 4; ++attempt) {
    long n = ::syscall(SYS_keyctl, KEYCTL_READ, serial, out.data(), out.size() * sizeof(int32_t));
    if (n < 0) return {};
    size_t count = static_cast<size_t>(n) / sizeof(int32_t);
    if (count <= out.size()) {
      out.resize(count);
      return out;
    }
    out.resize(count);  // it grew: read again with room for all
  }
  return {};
}

std::string first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

}  // namespace

std::vector<KernelKey> module_keys_from_proc(std::string_view proc_keys,
                                             const std::function<std::vector<int32_t>(int32_t)>& members) {
  const auto keys = parse_proc_keys(proc_keys);
  std::vector<KernelKey> out;
  std::set<int32_t> seen;
  for (const char* wanted : kModuleKeyrings) {
    for (const auto& [serial, key] : keys) {
      if (key.type != "keyring" || keyring_name(key.description) != wanted) continue;
      // The keyring and the keyrings linked into it (.secondary_trusted_keys links the others).
      std::vector<int32_t> todo{serial};
      std::set<int32_t> visited{serial};
      while (!todo.empty()) {
        int32_t ring = todo.back();
        todo.pop_back();
        for (int32_t member : members(ring)) {
          auto it = keys.find(member);
          if (it == keys.end()) continue;  // not visible to us
          if (it->second.type == "keyring") {
            if (visited.insert(member).second) todo.push_back(member);
          } else if (it->second.type.rfind("asymmetri", 0) == 0 && seen.insert(member).second) {
            out.push_back({wanted, it->second.description, key_subject(it->second.description)});
          }
        }
      }
    }
  }
  return out;
}

std::optional<KernelKeys> running_kernel_keys(std::string* why) {
  std::ifstream in("/proc/keys");
  if (!in) {
    if (why) *why = std::string("cannot read /proc/keys: ") + std::strerror(errno);
    return std::nullopt;
  }
  std::stringstream text;
  text << in.rdbuf();
  KernelKeys k;
  utsname u{};
  if (::uname(&u) == 0) k.release = u.release;
  k.keys = module_keys_from_proc(text.str(), keyring_members);
  if (first_line("/sys/module/module/parameters/sig_enforce") == "Y") {
    k.enforced = true;
    k.enforced_by = "module.sig_enforce";
  }
  std::string lockdown = first_line("/sys/kernel/security/lockdown");
  for (const char* level : {"integrity", "confidentiality"})
    if (lockdown.find(std::string("[") + level + "]") != std::string::npos) {
      k.enforced = true;
      k.enforced_by = std::string("lockdown ") + level;
    }
  return k;
}

const KernelKey* accepting_key(const KernelKeys& keys, std::string_view signer) {
  if (signer.empty()) return nullptr;
  for (const auto& k : keys.keys) {
    std::string_view s = k.subject;
    if (s == signer) return &k;
    // "O: CN" subjects (the kernel's name when the CN does not start with the organisation)
    if (s.size() > signer.size() + 2 && s.substr(s.size() - signer.size()) == signer &&
        s.substr(s.size() - signer.size() - 2, 2) == ": ")
      return &k;
  }
  return nullptr;
}

}  // namespace kmpkit::verify
